/**
 * The lab's A·Bᵀ (`matMulNT`), Aᵀ·B (`matMulTN`) and `linear` on the real WebGPU backend (Dawn on SwiftShader)
 * against the composed ops on cpu: values and both gradients at the lab's shapes and at edges
 * that are not multiples of the 4 × 4 tile, that the lab's kernel is what ran, and its dispatches.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  boundRatio,
  opDispatches,
  relError,
  setupDawn,
  valueAndGrads,
} from '../../node/fused-testing';
import { createRng } from '../rng';
import { LINEAR, MATMUL_NT, MATMUL_TN, linear, matMulNT, matMulTN } from './matmul';
import { setFused } from './program';

beforeAll(setupDawn, 60_000);
afterEach(() => setFused('auto'));

const U = 2 ** -24;

function draw(n: number, seed: number): Float32Array {
  const rng = createRng(seed);
  return Float32Array.from({ length: n }, () => rng.normal());
}

/**
 * [M, K]·[N, K]ᵀ: the tied decoder's logits (80 masked positions, d = 64, V = 2000), the input
 * gradients of q|k|v (K = 3·64, N = 65 with the bias row), of the FFN and of the output
 * projection, and small edges (M, N not multiples of 4, K = 4).
 */
const NT_CASES = [
  { M: 80, K: 64, N: 2000 },
  { M: 512, K: 192, N: 65 },
  { M: 512, K: 128, N: 64 },
  { M: 512, K: 64, N: 64 },
  { M: 13, K: 8, N: 7 },
  { M: 1, K: 4, N: 1 },
  { M: 6, K: 4, N: 5 },
];

describe('matMulNT fused on webgpu vs the float64 product and cpu', () => {
  it.each(NT_CASES)('values and gradients: [$M, $K]·[$N, $K]ᵀ', async ({ M, K, N }) => {
    const a = draw(M * K, 1);
    const b = draw(N * K, 2);
    const inputs = [
      { values: a, shape: [M, K] },
      { values: b, shape: [N, K] },
    ];
    const fn = (x: tf.Tensor, y: tf.Tensor) => matMulNT(x as tf.Tensor2D, y as tf.Tensor2D);
    const gpu = await valueAndGrads('webgpu', fn, inputs, [0, 1]);
    const cpu = await valueAndGrads('cpu', fn, inputs, [0, 1]);
    await tf.setBackend('webgpu');
    const ratio = boundRatio(
      gpu.value,
      [M, N, K],
      (i, k) => a[i * K + k]!,
      (j, k) => b[j * K + k]!,
    );
    const errors = {
      a: relError(gpu.grads[0]!, cpu.grads[0]!),
      b: relError(gpu.grads[1]!, cpu.grads[1]!),
    };
    console.log(`[${M}, ${K}]·[${N}, ${K}]ᵀ`, ratio.toFixed(4), JSON.stringify(errors));
    expect(ratio).toBeLessThanOrEqual(1);
    // The gradients are TF.js's own matmuls (dy·B over N terms, dyᵀ·A over M), summed in
    // another order than cpu's: 4·n·2⁻²⁴ relative, the convention of every fused test.
    expect(errors.a).toBeLessThan(4 * N * U);
    expect(errors.b).toBeLessThan(4 * M * U);
  });

  it('falls back to tf.matMul when K is not a multiple of 4, and off WebGPU', async () => {
    await tf.setBackend('webgpu');
    const a = tf.tensor2d(draw(5 * 6, 3), [5, 6]);
    const b = tf.tensor2d(draw(3 * 6, 4), [3, 6]);
    const p = await tf.profile(() => matMulNT(a, b));
    expect(p.kernelNames).not.toContain(MATMUL_NT);
    expect(p.kernelNames).toContain('BatchMatMul');
    const c = tf.tensor2d(draw(5 * 8, 5), [5, 8]);
    const d = tf.tensor2d(draw(3 * 8, 6), [3, 8]);
    expect((await tf.profile(() => matMulNT(c, d))).kernelNames).toContain(MATMUL_NT);
    setFused('off');
    expect((await tf.profile(() => matMulNT(c, d))).kernelNames).not.toContain(MATMUL_NT);
    expect(() => matMulNT(a, d)).toThrow(/differ in columns/);
    tf.dispose([a, b, c, d]);
  });
});

/**
 * [R, M]ᵀ·[R, N]: the weight gradients xᵀ·dy of q|k|v (M = 65 with the ones column), the FFN and
 * the output projection (few tiles: R split over 8 lanes), the tied decoder's [V, d] (many
 * tiles: one thread a tile), and small edges.
 */
const TN_CASES = [
  { R: 512, M: 65, N: 192 },
  { R: 512, M: 64, N: 128 },
  { R: 512, M: 128, N: 64 },
  { R: 80, M: 2000, N: 64 },
  { R: 7, M: 5, N: 9 },
  { R: 1, M: 1, N: 1 },
];

describe('matMulTN fused on webgpu vs the float64 product and cpu', () => {
  it.each(TN_CASES)('values and gradients: [$R, $M]ᵀ·[$R, $N]', async ({ R, M, N }) => {
    const a = draw(R * M, 11);
    const b = draw(R * N, 12);
    const inputs = [
      { values: a, shape: [R, M] },
      { values: b, shape: [R, N] },
    ];
    const fn = (x: tf.Tensor, y: tf.Tensor) => matMulTN(x as tf.Tensor2D, y as tf.Tensor2D);
    const gpu = await valueAndGrads('webgpu', fn, inputs, [0, 1]);
    const cpu = await valueAndGrads('cpu', fn, inputs, [0, 1]);
    await tf.setBackend('webgpu');
    const ratio = boundRatio(
      gpu.value,
      [M, N, R],
      (i, r) => a[r * M + i]!,
      (j, r) => b[r * N + j]!,
    );
    const errors = {
      a: relError(gpu.grads[0]!, cpu.grads[0]!),
      b: relError(gpu.grads[1]!, cpu.grads[1]!),
    };
    console.log(`[${R}, ${M}]ᵀ·[${R}, ${N}]`, ratio.toFixed(4), JSON.stringify(errors));
    expect(ratio).toBeLessThanOrEqual(1);
    // dA = B·dCᵀ (the lab's A·Bᵀ, N terms), dB = A·dC (TF.js's, M terms).
    expect(errors.a).toBeLessThan(4 * N * U);
    expect(errors.b).toBeLessThan(4 * M * U);
  });

  it('runs the lab kernel on WebGPU, tf.matMul with the switch off', async () => {
    await tf.setBackend('webgpu');
    const a = tf.tensor2d(draw(6 * 5, 13), [6, 5]);
    const b = tf.tensor2d(draw(6 * 3, 14), [6, 3]);
    expect((await tf.profile(() => matMulTN(a, b))).kernelNames).toContain(MATMUL_TN);
    setFused('off');
    expect((await tf.profile(() => matMulTN(a, b))).kernelNames).not.toContain(MATMUL_TN);
    expect(() => matMulTN(a, tf.zeros([5, 3]) as tf.Tensor2D)).toThrow(/differ in rows/);
    tf.dispose([a, b]);
  });
});

/** x [R, c]·W [c, n]: q|k|v with the bias row, the output projection, the FFN's two maps. */
const LINEAR_CASES = [
  { R: 512, c: 65, n: 192 },
  { R: 512, c: 64, n: 64 },
  { R: 512, c: 64, n: 128 },
  { R: 512, c: 128, n: 64 },
  { R: 80, c: 64, n: 64 },
];

describe('linear fused on webgpu vs composed on cpu', () => {
  it.each(LINEAR_CASES)('values and gradients: [$R, $c]·[$c, $n]', async ({ R, c, n }) => {
    const inputs = [
      { values: draw(R * c, 7), shape: [R, c] },
      { values: draw(c * n, 8), shape: [c, n] },
    ];
    const fn = (x: tf.Tensor, w: tf.Tensor) => linear(x as tf.Tensor2D, w as tf.Tensor2D);
    const gpu = await valueAndGrads('webgpu', fn, inputs, [0, 1]);
    const cpu = await valueAndGrads('cpu', fn, inputs, [0, 1]);
    await tf.setBackend('webgpu');
    const errors = {
      value: relError(gpu.value, cpu.value),
      x: relError(gpu.grads[0]!, cpu.grads[0]!),
      w: relError(gpu.grads[1]!, cpu.grads[1]!),
    };
    console.log(`[${R}, ${c}]·[${c}, ${n}]`, JSON.stringify(errors));
    // Sums of c (value), n (x's gradient: the lab's A·Bᵀ) and R (W's) products.
    expect(errors.value).toBeLessThan(4 * c * U);
    expect(errors.x).toBeLessThan(4 * n * U);
    expect(errors.w).toBeLessThan(4 * R * U);
  });

  it('runs as MatLinear with the lab A·Bᵀ for dx and Aᵀ·B for dW: 1 dispatch forward, 3 with both', async () => {
    await tf.setBackend('webgpu');
    const values = [
      { values: draw(512 * 64, 9), shape: [512, 64] },
      { values: draw(64 * 128, 10), shape: [64, 128] },
    ];
    const fn = (x: tf.Tensor, w: tf.Tensor) => linear(x as tf.Tensor2D, w as tf.Tensor2D);
    const x = tf.tensor2d(values[0]!.values, [512, 64]);
    const w = tf.tensor2d(values[1]!.values, [64, 128]);
    const names = (await tf.profile(() => tf.grads(fn)([x, w]))).kernelNames;
    expect(names).toContain(LINEAR);
    expect(names).toContain(MATMUL_NT);
    expect(names).toContain(MATMUL_TN);
    tf.dispose([x, w]);
    expect(await opDispatches(fn, values, null, [512, 128])).toBe(1);
    expect(await opDispatches(fn, values, [0, 1], [512, 128])).toBe(3);
    // Only dx when W is a constant (a frozen head group's cached weights): the forward and one.
    expect(await opDispatches(fn, values, [0], [512, 128])).toBe(2);
  });
});
