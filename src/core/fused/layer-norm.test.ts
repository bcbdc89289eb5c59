/**
 * The fused LayerNorm of a sum on the real WebGPU backend (Dawn on SwiftShader) against the
 * composed ops on cpu: values and the gradients of every input at the lab's shapes, that the
 * fused kernel is what ran, and its dispatch counts.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { opDispatches, relError, setupDawn, valueAndGrads } from '../../node/fused-testing';
import { createRng } from '../rng';
import { addLayerNorm } from './layer-norm';
import { setFused } from './program';

beforeAll(setupDawn, 60_000);
afterEach(() => setFused('auto'));

/** Batch 16 × 32 positions, the lab's transformer step. */
const R = 16 * 32;
const POSITIONS = 32;
const U = 2 ** -24;

interface Case {
  d: number;
  /** Rows of the residual: R, POSITIONS (repeated), or none. */
  resRows: number | null;
  bias: boolean;
}

const CASES: Case[] = [64, 128, 512].flatMap((d) => [
  { d, resRows: R, bias: true },
  { d, resRows: R, bias: false },
  { d, resRows: POSITIONS, bias: false },
  { d, resRows: POSITIONS, bias: true },
  { d, resRows: null, bias: false },
]);

function label({ d, resRows, bias }: Case): string {
  const res = resRows === null ? 'no residual' : `residual [${resRows}, ${d}]`;
  return `d = ${d}, ${res}, ${bias ? 'bias' : 'no bias'}`;
}

/** Inputs in the order x, residual?, bias?, g, b: x offset by 3 (variance ≪ mean² tests the two-pass variance), g and b not 1 and 0. */
function inputsFor(
  { d, resRows, bias }: Case,
  seed = 1,
): { values: Float32Array; shape: number[] }[] {
  const rng = createRng(seed);
  const draw = (n: number, scale: number, offset = 0): Float32Array =>
    Float32Array.from({ length: n }, () => offset + scale * rng.normal());
  const xs = [{ values: draw(R * d, 1, 3), shape: [R, d] }];
  if (resRows !== null) xs.push({ values: draw(resRows * d, 0.5), shape: [resRows, d] });
  if (bias) xs.push({ values: draw(d, 0.3), shape: [d] });
  xs.push({ values: draw(d, 0.3, 1), shape: [d] }, { values: draw(d, 0.2), shape: [d] });
  return xs;
}

/** addLayerNorm over the tensors in `inputsFor`'s order. */
function fnFor({ resRows, bias }: Case): (...xs: tf.Tensor[]) => tf.Tensor {
  return (...xs) => {
    const [x, ...rest] = xs;
    const residual = resRows !== null ? (rest.shift() as tf.Tensor2D) : null;
    const b0 = bias ? rest.shift()! : null;
    const [g, b] = rest as [tf.Tensor, tf.Tensor];
    return addLayerNorm(x as tf.Tensor2D, residual, b0, g, b);
  };
}

/**
 * Dispatches the backward runs with every input trainable: dz (x's, and the residual's when
 * R' = R), dg, db, plus one column sum for the bias and one for a repeated residual.
 */
function designedBackward({ resRows, bias }: Case): number {
  return 3 + (bias ? 1 : 0) + (resRows !== null && resRows < R ? 1 : 0);
}

/**
 * Tolerances, normwise relative (relError). Both sides are float32 and differ only in the order
 * of their sums, so each result's error is bounded by about n·2⁻²⁴ times a small constant, n the
 * longest sum it depends on (the rounding error bound of recursive summation; a tree sum's is
 * log n·2⁻²⁴, the cpu's sequential loop's n·2⁻²⁴). The value and dz depend on the row sums
 * (mean, variance, Σdx̂, Σdx̂·x̂: n = d) and are then scaled by rstd and multiplied by g: a factor
 * 4 covers the chain. dg, db and the bias's gradient are sums over the R rows of terms that
 * carry that error (n = R + d); the repeated residual's over R/R' rows (n = R/R' + d).
 */
function tolerance(n: number): number {
  return 4 * n * U;
}

describe('addLayerNorm fused on webgpu vs composed on cpu', () => {
  it.each(CASES)('values and gradients: d = $d, residual rows $resRows, bias $bias', async (c) => {
    const inputs = inputsFor(c);
    const wrt = inputs.map((_, i) => i);
    const fn = fnFor(c);
    const gpu = await valueAndGrads('webgpu', fn, inputs, wrt);
    const cpu = await valueAndGrads('cpu', fn, inputs, wrt);
    await tf.setBackend('webgpu');
    const names = [
      'x',
      ...(c.resRows !== null ? ['residual'] : []),
      ...(c.bias ? ['bias'] : []),
      'g',
      'b',
    ];
    const errors: Record<string, number> = { value: relError(gpu.value, cpu.value) };
    names.forEach((name, i) => (errors[name] = relError(gpu.grads[i]!, cpu.grads[i]!)));
    const bounds: Record<string, number> = {
      value: tolerance(c.d),
      x: tolerance(c.d),
      residual: tolerance(c.resRows === R ? c.d : R / (c.resRows ?? R) + c.d),
      bias: tolerance(R + c.d),
      g: tolerance(R + c.d),
      b: tolerance(R + c.d),
    };
    console.log(
      label(c),
      JSON.stringify(
        Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, +v.toExponential(2)])),
      ),
    );
    for (const [name, err] of Object.entries(errors)) {
      expect(err, `${label(c)}: ${name}`).toBeLessThan(bounds[name]!);
    }
  });
});

describe('addLayerNorm on webgpu: the fused kernel runs, in the designed dispatches', () => {
  /** Forward, and forward + backward with a given dy (so only the op's own dispatches count). */
  async function dispatches(c: Case, wrt: number[] | null): Promise<number> {
    return opDispatches(fnFor(c), inputsFor(c), wrt, [R, c.d]);
  }

  it.each(CASES.filter((c) => c.d === 64))(
    'dispatch counts: d = $d, residual rows $resRows, bias $bias',
    async (c) => {
      await tf.setBackend('webgpu');
      const all = inputsFor(c).map((_, i) => i);
      expect(await dispatches(c, null)).toBe(1);
      expect(await dispatches(c, all)).toBe(1 + designedBackward(c));
      // g and b frozen: their gradients are pruned; x's is dz alone.
      expect(await dispatches(c, [0])).toBe(2);
      setFused('off');
      const composedForward = await dispatches(c, null);
      const composedBoth = await dispatches(c, all);
      console.log(
        `${label(c)}: fused 1 + ${designedBackward(c)}, composed ${composedForward} + ${composedBoth - composedForward}`,
      );
      expect(composedForward).toBeGreaterThan(1);
    },
  );

  it('tf.profile sees MatAddLayerNorm, not the composed Mean / Rsqrt; off runs the composed ops', async () => {
    await tf.setBackend('webgpu');
    const c: Case = { d: 64, resRows: R, bias: true };
    const inputs = inputsFor(c).map((x) => tf.tensor(x.values, x.shape));
    const fn = fnFor(c);
    const kernels = async (): Promise<string[]> => {
      const prof = await tf.profile(() => fn(...inputs));
      tf.dispose(prof.result as tf.Tensor);
      return prof.kernels.map((k) => k.name);
    };
    const fused = await kernels();
    expect(fused).toContain('MatAddLayerNorm');
    expect(fused).not.toContain('Mean');
    expect(fused).not.toContain('Rsqrt');
    setFused('off');
    const composed = await kernels();
    expect(composed).not.toContain('MatAddLayerNorm');
    expect(composed).toContain('Mean');
    expect(composed).toContain('Rsqrt');
    setFused('auto');
    expect(await kernels()).toContain('MatAddLayerNorm');
    tf.dispose(inputs);
  });
});
