import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { opDispatches, setupDawn, valueAndGrads } from '../../node/fused-testing';
import { createRng } from '../rng';
import {
  appendOnes,
  concatCols,
  concatCopies,
  concatRows,
  sliceCopies,
  stackCopies,
} from './copies';
import { countDispatches, setFused } from './program';

beforeAll(setupDawn, 60_000);
afterEach(() => setFused('auto'));

const sizes = [3, 1, 64, 7, 200, 5];

describe('sliceCopies (WebGPU buffer copies)', () => {
  it('gives each piece exactly, by buffer copies (no compute dispatch), and leaks nothing', async () => {
    await tf.setBackend('webgpu');
    const values = Float32Array.from({ length: 300 }, (_, i) => Math.sin(i) * 1e3 + i);
    // A computed vector (on the GPU, as Adam's state is), not an uploaded one.
    const x = tf.tidy(() => tf.tensor1d(values).mul(2).sub(1)) as tf.Tensor1D;
    const expected = Float32Array.from(await x.data());
    const before = tf.memory().numTensors;
    const prof = await tf.profile(() => sliceCopies(x, sizes));
    expect(prof.kernels.map((k) => k.name)).toEqual(['MatSliceCopies']);
    tf.dispose(prof.result as tf.Tensor[]);
    const { result: parts, dispatches } = await countDispatches(async () => sliceCopies(x, sizes));
    expect(dispatches).toBe(0);
    // The source may go at once: queued copies keep its buffer until they have run.
    x.dispose();
    let offset = 0;
    for (const [i, p] of parts.entries()) {
      expect(p.shape).toEqual([sizes[i]]);
      expect(Array.from(await p.data())).toEqual(
        Array.from(expected.slice(offset, offset + sizes[i]!)),
      );
      offset += sizes[i]!;
    }
    tf.dispose(parts);
    expect(tf.memory().numTensors).toBe(before - 1);
  });

  it('pieces stay independent of later work on the source buffer pool', async () => {
    const x = tf.tidy(() => tf.range(0, 50).toFloat().mul(3)) as tf.Tensor1D;
    const [a, b] = sliceCopies(x, [20, 30]);
    x.dispose();
    // Reuse freed buffers: new tensors of the same size must not write into a or b.
    const noise = tf.tidy(() => tf.ones([50]).mul(-7));
    expect(Array.from(await a!.data())).toEqual(Array.from({ length: 20 }, (_, i) => 3 * i));
    expect(Array.from(await b!.data())).toEqual(Array.from({ length: 30 }, (_, i) => 3 * (i + 20)));
    tf.dispose([a!, b!, noise]);
  });

  it('is per-piece slices with the switch off, and refuses pieces past the end', async () => {
    setFused('off');
    try {
      const x = tf.range(0, 10).toFloat() as tf.Tensor1D;
      const prof = await tf.profile(() => sliceCopies(x, [4, 6]));
      expect(prof.kernels.map((k) => k.name)).toEqual(['Slice', 'Slice']);
      tf.dispose(prof.result as tf.Tensor[]);
      expect(() => sliceCopies(x, [4, 7])).toThrow(RangeError);
      x.dispose();
    } finally {
      setFused('auto');
    }
  });
});

/** Pseudo-random values of a shape (exact in float32: copies and transposes move them only). */
function drawn(seed: number, shape: number[]): { values: Float32Array; shape: number[] } {
  const rng = createRng(seed);
  const n = shape.reduce((a, b) => a * b, 1);
  return { values: Float32Array.from({ length: n }, () => rng.normal()), shape };
}

/** A head group's output rows [16, 64] × 4 and q|k|v columns [65, 48] × 4 (the default BERT). */
const ROWS = [0, 1, 2, 3].map((i) => drawn(10 + i, [16, 64]));
const COLS = [0, 1, 2, 3].map((i) => drawn(20 + i, [65, 48]));
const ALL = [0, 1, 2, 3];

describe('concatCopies, concatRows, concatCols, appendOnes: fused on webgpu vs composed on cpu', () => {
  // Every value is moved, never computed: the webgpu results and gradients must be the cpu's
  // bit for bit.
  it.each([
    { name: 'concatRows', join: concatRows, parts: ROWS, axis: 0 },
    { name: 'concatCols', join: concatCols, parts: COLS, axis: 1 },
  ])(
    '$name: values and every gradient identical, and tf.concat along axis $axis',
    async ({ join, parts, axis }) => {
      const fn = (...xs: tf.Tensor[]) => join(xs as tf.Tensor2D[]);
      const gpu = await valueAndGrads('webgpu', fn, parts, ALL);
      const cpu = await valueAndGrads('cpu', fn, parts, ALL);
      await tf.setBackend('webgpu');
      expect(gpu.value).toEqual(cpu.value);
      gpu.grads.forEach((g, i) => expect(g).toEqual(cpu.grads[i]));
      // And the values are tf.concat's (not just the same wrong layout on both sides).
      const ref = tf.concat(
        parts.map((r) => tf.tensor(r.values, r.shape)),
        axis,
      );
      expect(gpu.value).toEqual(await ref.data());
      ref.dispose();
    },
  );

  it('appendOnes: values and the gradient identical, and the ones column is there', async () => {
    const x = drawn(30, [512, 64]);
    const fn = (x: tf.Tensor) => appendOnes(x as tf.Tensor2D);
    const gpu = await valueAndGrads('webgpu', fn, [x], [0]);
    const cpu = await valueAndGrads('cpu', fn, [x], [0]);
    await tf.setBackend('webgpu');
    expect(gpu.value).toEqual(cpu.value);
    expect(gpu.grads[0]).toEqual(cpu.grads[0]);
    expect(gpu.value[64]).toBe(1);
    expect(gpu.value[65]).toBe(x.values[64]);
    expect(gpu.value[511 * 65 + 64]).toBe(1);
  });

  it('concatCopies of tensors of any shapes: their values end to end, and their gradients', async () => {
    const parts = [drawn(40, [3, 5]), drawn(41, [7]), drawn(42, [2, 2, 2])];
    const fn = (...xs: tf.Tensor[]) => concatCopies(xs);
    const gpu = await valueAndGrads('webgpu', fn, parts, [0, 1, 2]);
    await tf.setBackend('webgpu');
    expect(gpu.value).toEqual(Float32Array.from(parts.flatMap((p) => Array.from(p.values))));
    const cpu = await valueAndGrads('cpu', fn, parts, [0, 1, 2]);
    await tf.setBackend('webgpu');
    gpu.grads.forEach((g, i) => expect(g).toEqual(cpu.grads[i]));
    expect(() => concatCopies([])).toThrow(RangeError);
  });

  it('stackCopies: values and every gradient identical, and tf.stack', async () => {
    // A Switch layer's experts' weights: 3 matrices of one shape.
    const parts = [drawn(50, [9, 6]), drawn(51, [9, 6]), drawn(52, [9, 6])];
    const fn = (...xs: tf.Tensor[]) => stackCopies(xs);
    const gpu = await valueAndGrads('webgpu', fn, parts, [0, 1, 2]);
    const cpu = await valueAndGrads('cpu', fn, parts, [0, 1, 2]);
    await tf.setBackend('webgpu');
    expect(gpu.value).toEqual(cpu.value);
    gpu.grads.forEach((g, i) => expect(g).toEqual(cpu.grads[i]));
    const ref = tf.stack(parts.map((r) => tf.tensor(r.values, r.shape)));
    expect(ref.shape).toEqual([3, 9, 6]);
    expect(gpu.value).toEqual(await ref.data());
    ref.dispose();
    const stacked = stackCopies([tf.zeros([9, 6]), tf.ones([9, 6])]);
    expect(stacked.shape).toEqual([2, 9, 6]);
    tf.dispose(stacked);
    expect(() => tf.tidy(() => stackCopies([tf.zeros([2, 3]), tf.zeros([3, 2])]))).toThrow(
      RangeError,
    );
    expect(() => stackCopies([])).toThrow(RangeError);
  });
});

describe('concatRows, concatCols, appendOnes on webgpu: the designed dispatches', () => {
  it('concatRows: none forward, none backward (TF.js: 1 and a Slice per matrix)', async () => {
    const fn = (...xs: tf.Tensor[]) => concatRows(xs as tf.Tensor2D[]);
    expect(await opDispatches(fn, ROWS, null, [64, 64])).toBe(0);
    expect(await opDispatches(fn, ROWS, ALL, [64, 64])).toBe(0);
    setFused('off');
    expect(await opDispatches(fn, ROWS, null, [64, 64])).toBe(1);
    expect(await opDispatches(fn, ROWS, ALL, [64, 64])).toBe(1 + 4);
  });

  it('concatCols: a Transpose forward, one back (TF.js: 1 and a Slice per matrix)', async () => {
    const fn = (...xs: tf.Tensor[]) => concatCols(xs as tf.Tensor2D[]);
    expect(await opDispatches(fn, COLS, null, [65, 192])).toBe(1);
    expect(await opDispatches(fn, COLS, ALL, [65, 192])).toBe(2);
    setFused('off');
    expect(await opDispatches(fn, COLS, ALL, [65, 192])).toBe(1 + 4);
  });

  it('appendOnes: one program forward, one Slice back (TF.js: a Concat, and a Slice per part)', async () => {
    const x = [drawn(31, [512, 64])];
    const fn = (x: tf.Tensor) => appendOnes(x as tf.Tensor2D);
    expect(await opDispatches(fn, x, null, [512, 65])).toBe(1);
    expect(await opDispatches(fn, x, [0], [512, 65])).toBe(2);
    setFused('off');
    expect(await opDispatches(fn, x, [0], [512, 65])).toBe(1 + 2);
  });

  it('refuses what it cannot stack', () => {
    const a = tf.zeros([2, 3]) as tf.Tensor2D;
    const b = tf.zeros([2, 4]) as tf.Tensor2D;
    expect(() => concatRows([a, b])).toThrow(RangeError);
    expect(() => concatCols([a, tf.zeros([3, 3]) as tf.Tensor2D])).toThrow(RangeError);
    // Different widths side by side: TF.js's own concatenation.
    expect(concatCols([a, b]).shape).toEqual([2, 7]);
    tf.dispose([a, b]);
  });
});
