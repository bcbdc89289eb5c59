/**
 * The fused attention kernels (forward and backward) on the real WebGPU backend (Dawn on
 * SwiftShader) against the composed TF.js ops on cpu, and what runs: one kernel, one dispatch
 * forward, two forward+backward.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ATTENTION, ATTENTION_GRAD, attention } from './attention';
import type { AttentionDims } from './attention';
import { countDispatches, setFused } from './program';
import { relError, setupDawn, valueAndGrads } from '../../node/fused-testing';
import { testRng } from '../testing/fake-rng';

beforeAll(setupDawn, 60_000);

afterEach(async () => {
  setFused('auto');
  await tf.setBackend('webgpu');
});

/** n draws from N(0, std²), seeded. */
function normals(n: number, std: number, seed: number): Float32Array {
  const rng = testRng(seed);
  return Float32Array.from({ length: n }, () => std * rng.normal());
}

/**
 * qkv [N·T, g·3·d_h] of N(0, std²) entries (std 1: logits of std 1, so each softmax row is
 * neither uniform nor one-hot).
 */
function makeQkv({ N, T, g, dh }: AttentionDims, std: number, seed: number): Float32Array {
  return normals(N * T * g * 3 * dh, std, seed);
}

/**
 * Tolerance of the normwise relative error between the fused kernel (float32, its own
 * summation order: d_h-term dot products, a T-term online softmax sum and T-term context and
 * gradient sums) and the composed ops on cpu (float32, another order). Each output is a sum of
 * T products of d_h-term dot products, so rounding accumulates to at most ~T·d_h·u relative,
 * u = 2⁻²⁴, on either side. Softmax turns an absolute logit error δ into a relative
 * probability error δ, and a logit x carries an absolute error of order d_h·u·|x|, hence the
 * factor (1 + std²): q·k/√d_h of N(0, std²) entries has std std². (WGSL's exp is exact to
 * 3 + 2·|x| ulp; its arguments here are x − max ≤ 0 of the size of the logits' spread, which
 * the same factor covers.) The measured errors are far below this bound (~3e-7 at std 1).
 */
function tolerance({ T, dh }: AttentionDims, std: number): number {
  return T * dh * 2 ** -24 * (1 + std * std);
}

const f = (dims: AttentionDims) => (x: tf.Tensor) => attention(x as tf.Tensor2D, dims);

async function compare(dims: AttentionDims, std: number, seed: number) {
  const values = makeQkv(dims, std, seed);
  const input = [{ values, shape: [dims.N * dims.T, dims.g * 3 * dims.dh] }];
  const gpu = await valueAndGrads('webgpu', f(dims), input, [0]);
  const cpu = await valueAndGrads('cpu', f(dims), input, [0]);
  await tf.setBackend('webgpu');
  return { value: relError(gpu.value, cpu.value), grad: relError(gpu.grads[0]!, cpu.grads[0]!) };
}

const SHAPES: [string, AttentionDims][] = [
  ['default BERT, g 4', { N: 16, T: 32, g: 4, dh: 16 }],
  ['default BERT, g 1', { N: 16, T: 32, g: 1, dh: 16 }],
  ['default BERT, g 3', { N: 16, T: 32, g: 3, dh: 16 }],
  ['wide', { N: 4, T: 64, g: 8, dh: 16 }],
  ['T 256, d_h 8', { N: 2, T: 256, g: 2, dh: 8 }],
  ['d_h 64', { N: 2, T: 16, g: 2, dh: 64 }],
  ['odd', { N: 3, T: 5, g: 3, dh: 3 }],
  // The kernels' limits beyond the lab's usual sizes: d_h 512 (the largest function-memory
  // rows) and T 300 (backward threads stride over two rows, the forward spans 5 blocks).
  ['d_h 512', { N: 1, T: 4, g: 2, dh: 512 }],
  ['T 300', { N: 1, T: 300, g: 1, dh: 4 }],
];

describe('fused attention vs composed ops on cpu: values and gradients w.r.t. qkv', () => {
  for (const [name, dims] of SHAPES) {
    it(`${name} (N ${dims.N}, T ${dims.T}, g ${dims.g}, d_h ${dims.dh})`, async () => {
      const err = await compare(dims, 1, 7);
      console.log(
        `attention ${name}: value ${err.value.toExponential(2)}, grad ${err.grad.toExponential(2)}`,
      );
      const tol = tolerance(dims, 1);
      expect(err.value).toBeLessThan(tol);
      expect(err.grad).toBeLessThan(tol);
    }, 60_000);
  }

  it('large logits (std 6 entries: logits of std 36, softmax near one-hot) at the default BERT shape', async () => {
    const dims = { N: 16, T: 32, g: 4, dh: 16 };
    const err = await compare(dims, 6, 11);
    console.log(
      `attention std 6: value ${err.value.toExponential(2)}, grad ${err.grad.toExponential(2)}`,
    );
    const tol = tolerance(dims, 6);
    expect(err.value).toBeLessThan(tol);
    expect(err.grad).toBeLessThan(tol);
  }, 60_000);
});

describe('what runs on webgpu', () => {
  const dims = { N: 16, T: 32, g: 4, dh: 16 };
  const shape: [number, number] = [dims.N * dims.T, dims.g * 3 * dims.dh];
  const outShape: [number, number] = [dims.N * dims.T, dims.g * dims.dh];

  /** Dispatches of a forward, and of a forward+backward with a given dctx (no ones seed). */
  async function counts(): Promise<{ forward: number | null; both: number | null }> {
    const qkv = tf.tensor2d(makeQkv(dims, 1, 3), shape);
    const dy = tf.tensor2d(normals(outShape[0] * outShape[1], 1, 4), outShape);
    const fwd = await countDispatches(async () => {
      const y = attention(qkv, dims);
      await y.data();
      y.dispose();
    });
    const both = await countDispatches(async () => {
      const [dq] = tf.grads((x: tf.Tensor) => attention(x as tf.Tensor2D, dims))([qkv], dy);
      await dq!.data();
      dq!.dispose();
    });
    tf.dispose([qkv, dy]);
    return { forward: fwd.dispatches, both: both.dispatches };
  }

  it('the forward is the one fused kernel: no Softmax, BatchMatMul or Transpose', async () => {
    const qkv = tf.tensor2d(makeQkv(dims, 1, 5), shape);
    const prof = await tf.profile(() => attention(qkv, dims));
    expect(prof.kernels.map((k) => k.name)).toEqual([ATTENTION]);
    qkv.dispose();
  });

  it('the backward is the one fused gradient kernel', async () => {
    const qkv = tf.tensor2d(makeQkv(dims, 1, 5), shape);
    const prof = await tf.profile(() =>
      tf.grads((x: tf.Tensor) => attention(x as tf.Tensor2D, dims).sum())([qkv]),
    );
    const names = prof.kernels.map((k) => k.name);
    expect(names).toContain(ATTENTION_GRAD);
    expect(names.filter((n) => n === ATTENTION || n === ATTENTION_GRAD)).toEqual([
      ATTENTION,
      ATTENTION_GRAD,
    ]);
    expect(names.some((n) => /Softmax|BatchMatMul|Transpose/.test(n))).toBe(false);
    qkv.dispose();
  });

  it('dispatches: 1 forward and 2 forward+backward fused; the composed ops many more', async () => {
    const fused = await counts();
    setFused('off');
    const composed = await counts();
    console.log(
      `attention dispatches: fused forward ${fused.forward}, forward+backward ${fused.both}; ` +
        `composed forward ${composed.forward}, forward+backward ${composed.both}`,
    );
    expect(fused).toEqual({ forward: 1, both: 2 });
    expect(composed.forward).toBeGreaterThan(1);
    expect(composed.both).toBeGreaterThan(2);
  });

  it("beyond the kernels' limits (T > 1024) the composed ops run on webgpu", async () => {
    const big = { N: 1, T: 1025, g: 1, dh: 2 };
    const qkv = tf.tensor2d(makeQkv(big, 1, 5), [big.T, 3 * big.dh]);
    const prof = await tf.profile(() => attention(qkv, big));
    const names = prof.kernels.map((k) => k.name);
    expect(names).toContain('BatchMatMul');
    expect(names).not.toContain(ATTENTION);
    qkv.dispose();
  });

  it('dims that do not match qkv throw, fused as composed', () => {
    const qkv = tf.tensor2d(makeQkv(dims, 1, 5), shape);
    expect(() => attention(qkv, { ...dims, g: 2 })).toThrow(/MatAttention/);
    setFused('off');
    expect(() => attention(qkv, { ...dims, g: 2 })).toThrow();
    qkv.dispose();
  });

  it("with setFused('off') the composed ops run on webgpu", async () => {
    const qkv = tf.tensor2d(makeQkv(dims, 1, 5), shape);
    setFused('off');
    const prof = await tf.profile(() => attention(qkv, dims));
    const names = prof.kernels.map((k) => k.name);
    expect(names).toContain('BatchMatMul');
    expect(names).toContain('Softmax');
    expect(names).not.toContain(ATTENTION);
    qkv.dispose();
  });

  /** Timing for the report only (SwiftShader is a CPU, not a GPU): MAT_ATTENTION_TIMING=1. */
  it.runIf(process.env.MAT_ATTENTION_TIMING)(
    'timing forward+backward, fused vs composed, median of 20',
    async () => {
      const qkv = tf.tensor2d(makeQkv(dims, 1, 3), shape);
      const dy = tf.onesLike(attention(qkv, dims));
      const step = async () => {
        const [dq] = tf.grads((x: tf.Tensor) => attention(x as tf.Tensor2D, dims))([qkv], dy);
        await dq!.data();
        dq!.dispose();
      };
      const median = async () => {
        await step();
        await step();
        const ms: number[] = [];
        for (let i = 0; i < 20; i++) {
          const t0 = performance.now();
          await step();
          ms.push(performance.now() - t0);
        }
        return ms.sort((a, b) => a - b)[10]!;
      };
      const fused = await median();
      setFused('off');
      const composed = await median();
      console.log(
        `attention forward+backward median of 20: fused ${fused.toFixed(2)} ms, composed ${composed.toFixed(2)} ms`,
      );
      expect(fused).toBeGreaterThan(0);
      tf.dispose([qkv, dy]);
    },
    120_000,
  );
});
