import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { setupDawn } from '../../node/fused-testing';
import { countDispatches, setFused } from './program';
import { sliceCopies } from './slice-copies';

beforeAll(setupDawn, 60_000);

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
