/**
 * The fused cross-entropy on WebGPU (Dawn on SwiftShader) against the composed ops on cpu:
 * value and gradients, the kernels tf.profile sees, the dispatches, and the switch.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { crossEntropy } from './cross-entropy';
import { countDispatches, setFused } from './program';
import { relError, setupDawn, valueAndGrads } from '../../node/fused-testing';

beforeAll(setupDawn, 60_000);
afterEach(() => setFused('auto'));

/** Deterministic N(0, std²) values (Box–Muller on a 32-bit LCG). */
function normals(n: number, std: number, seed: number): Float32Array {
  let s = seed >>> 0;
  const u = () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return (s + 0.5) / 2 ** 32;
  };
  return Float32Array.from(
    { length: n },
    () => std * Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u()),
  );
}

/** One 1 per row, at a column that varies with the row. */
function oneHotOf(R: number, V: number): Float32Array {
  const out = new Float32Array(R * V);
  for (let r = 0; r < R; r++) out[r * V + ((r * 7919 + 104729) % V)] = 1;
  return out;
}

type Reduction = 'mean' | 'sum';

function inputsOf(R: number, V: number, std: number) {
  return [
    { values: normals(R * V, std, 1), shape: [R, V] },
    { values: normals(V, std, 2), shape: [V] },
    { values: oneHotOf(R, V), shape: [R, V] },
  ];
}

const lossFn =
  (reduction: Reduction, withBias: boolean) =>
  (...[l, b, o]: tf.Tensor[]): tf.Tensor =>
    crossEntropy(l as tf.Tensor2D, withBias ? b! : null, o as tf.Tensor2D, reduction);

/**
 * [R, V, std, reduction, bias]. Std 20 puts logits (plus a bias of std 20) near ±160, where
 * exp overflows float32 without the max subtraction. The large shape runs four of the eight
 * combinations (its cpu reference is slow under SwiftShader's neighbours).
 */
const CASES: [number, number, number, Reduction, boolean][] = [];
for (const [R, V] of [
  [80, 2000],
  [7, 16],
] as const) {
  for (const std of [1, 20])
    for (const red of ['mean', 'sum'] as const)
      for (const bias of [true, false]) CASES.push([R, V, std, red, bias]);
}
CASES.push([300, 8192, 1, 'mean', true], [300, 8192, 20, 'mean', false]);
CASES.push([300, 8192, 20, 'sum', true], [300, 8192, 1, 'sum', false]);

/**
 * Tolerance 2e-6, normwise. Both sides work in float32 (u ≈ 6e-8) but sum differently: cpu adds
 * a row's V exp terms in order, the kernel in 64 or 256 strided partial sums and then a tree,
 * and the R row losses likewise. A relative error δ in Σ exp becomes an absolute error δ in the
 * row's log-sum-exp and a relative δ in its softmax, so value and gradients differ by a few
 * units of the summation error, which for V ≤ 8192 is within ≈ √V·u ≈ 5e-6 in the worst case
 * and ≈ u·log₂V in practice. Measured over the cases below: value ≤ 1.2e-7, dlogits ≤ 3.0e-7.
 */
const TOL = 2e-6;

/**
 * The bias gradient sums dlogits over the R rows (in the same order on both sides), terms of
 * both signs that largely cancel: dlogits' per-entry differences (≈ u of its largest entry)
 * add up over R ≤ 300 rows to ≲ R·u ≈ 2e-5 of max|dlogits|, against a max|dbias| of the same
 * order. Measured: ≤ 1.2e-6 (R 300, V 8192).
 */
const TOL_BIAS = 1e-5;

describe('crossEntropy, fused on WebGPU vs composed on cpu', () => {
  it.each(CASES)(
    'R %i, V %i, logits std %i, %s, bias %s: value and gradients',
    async (R, V, std, reduction, withBias) => {
      const inputs = inputsOf(R, V, std);
      const wrt = withBias ? [0, 1] : [0];
      const f = lossFn(reduction, withBias);
      const g = await valueAndGrads('webgpu', f, inputs, wrt);
      const c = await valueAndGrads('cpu', f, inputs, wrt);
      const errors = [
        relError(g.value, c.value),
        ...g.grads.map((x, i) => relError(x, c.grads[i]!)),
      ];
      console.log(
        `R ${R} V ${V} std ${std} ${reduction} bias ${withBias}: ${errors.map((e) => e.toExponential(1))}`,
      );
      expect(Number.isFinite(c.value[0]!)).toBe(true);
      expect(relError(g.value, c.value)).toBeLessThan(TOL);
      expect(errors[1], 'dlogits').toBeLessThan(TOL);
      if (withBias) expect(errors[2], 'dbias').toBeLessThan(TOL_BIAS);
    },
    120_000,
  );
});

describe('crossEntropy kernels and dispatches on WebGPU', () => {
  const R = 80;
  const V = 2000;

  async function counts(withBias: boolean) {
    await tf.setBackend('webgpu');
    const [l, b, o] = inputsOf(R, V, 1).map((x) => tf.tensor(x.values, x.shape));
    const bias = withBias ? b! : null;
    const before = tf.memory().numTensors;
    const fwd = await countDispatches(async () => {
      // In a tidy: the composed path leaves its intermediates to the caller's.
      const y = tf.tidy(() => crossEntropy(l as tf.Tensor2D, bias, o as tf.Tensor2D, 'mean'));
      const v = (await y.data())[0]!;
      y.dispose();
      return v;
    });
    const wrt = withBias ? [l!, b!] : [l!];
    const g = tf.grads((...xs: tf.Tensor[]) =>
      crossEntropy(xs[0] as tf.Tensor2D, withBias ? xs[1]! : null, o as tf.Tensor2D, 'mean'),
    );
    const both = await countDispatches(async () => {
      const r = g(wrt);
      await Promise.all(r.map((t) => t.data()));
      tf.dispose(r);
    });
    // tf.profile returns the engine's one profile object: read each before the next.
    const names = (p: Awaited<ReturnType<typeof tf.profile>>) =>
      p.kernels.map((k) => k.name).filter((n) => n !== 'Identity' && n !== 'Reshape');
    let p = await tf.profile(() =>
      tf.tidy(() => crossEntropy(l as tf.Tensor2D, bias, o as tf.Tensor2D, 'sum')),
    );
    const forwardKernels = names(p);
    (p.result as tf.Tensor).dispose();
    p = await tf.profile(() => g(wrt));
    const gradKernels = names(p);
    tf.dispose(p.result as tf.Tensor[]);
    const leaked = tf.memory().numTensors - before;
    tf.dispose([l!, b!, o!]);
    return {
      value: fwd.result,
      forward: fwd.dispatches,
      backward: both.dispatches! - fwd.dispatches!,
      forwardKernels,
      gradKernels,
      leaked,
    };
  }

  it('runs one kernel forward (2 dispatches) and one backward (1, +1 for the bias)', async () => {
    const withBias = await counts(true);
    expect(withBias.forwardKernels).toEqual(['MatCrossEntropy']);
    expect(withBias.gradKernels).toEqual([
      'MatCrossEntropy',
      'MatCrossEntropyGrad',
      'MatCrossEntropyBiasGrad',
    ]);
    expect(withBias.forward).toBe(2);
    expect(withBias.backward).toBe(2);
    expect(withBias.leaked).toBe(0);
    const noBias = await counts(false);
    expect(noBias.forwardKernels).toEqual(['MatCrossEntropyNoBias']);
    expect(noBias.gradKernels).toEqual(['MatCrossEntropyNoBias', 'MatCrossEntropyGrad']);
    expect(noBias.forward).toBe(2);
    expect(noBias.backward).toBe(1);
    expect(noBias.leaked).toBe(0);
  }, 60_000);

  it("runs the composed ops on WebGPU with setFused('off'), to the same value", async () => {
    const fused = await counts(true);
    setFused('off');
    const off = await counts(true);
    expect(off.forwardKernels.some((n) => n.startsWith('Mat'))).toBe(false);
    expect(off.gradKernels.some((n) => n.startsWith('Mat'))).toBe(false);
    // Measured: 11 forward, 16 backward (TF.js 4.22).
    expect(off.forward).toBe(11);
    expect(off.backward).toBe(16);
    expect(Math.abs(off.value - fused.value) / Math.abs(off.value)).toBeLessThan(TOL);
    expect(off.leaked).toBe(0);
  }, 60_000);

  it('takes a one-hot made by tf.oneHot(…).toFloat() (an int32 buffer relabelled float32)', async () => {
    await tf.setBackend('webgpu');
    const [l, b, o] = inputsOf(R, V, 1).map((x) => tf.tensor(x.values, x.shape));
    const labels = tf.tensor1d(
      Array.from({ length: R }, (_, r) => (r * 7919 + 104729) % V),
      'int32',
    );
    const cast = tf.tidy(() => tf.oneHot(labels, V).toFloat());
    const read = async (oneHot: tf.Tensor) => {
      const f = (x: tf.Tensor) => crossEntropy(x as tf.Tensor2D, b!, oneHot as tf.Tensor2D, 'mean');
      const y = f(l!);
      const dl = tf.grad(f)(l!);
      const out = [(await y.data())[0]!, ...((await dl.data()) as Float32Array)];
      tf.dispose([y, dl]);
      return out;
    };
    expect(await read(cast)).toEqual(await read(o!));
    tf.dispose([l!, b!, o!, labels, cast]);
  }, 60_000);
});
