/**
 * TF.js's int32 → float32 cast on WebGPU only relabels the buffer, so a fused kernel can be
 * handed an i32 array; each reads its inputs through f32(). Here every fused op gets such an
 * input on WebGPU and must give the cpu's composed result (small integers: exact in float32).
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { relError, setupDawn } from '../../node/fused-testing';
import { attention } from './attention';
import { biasAct } from './bias-act';
import { addLayerNorm } from './layer-norm';

beforeAll(setupDawn, 60_000);

/** `fn` of int-valued inputs cast to float, on WebGPU and on cpu. */
async function both(shapes: number[][], fn: (...xs: tf.Tensor[]) => tf.Tensor) {
  const run = async (backend: 'webgpu' | 'cpu') => {
    await tf.setBackend(backend);
    const xs = shapes.map((s, k) =>
      tf.tensor(
        Int32Array.from({ length: s.reduce((a, b) => a * b, 1) }, (_, i) => ((i * 7 + k) % 5) - 2),
        s,
        'int32',
      ),
    );
    const y = fn(...xs.map((x) => x.toFloat()));
    const out = Float32Array.from(await y.data());
    tf.dispose([...xs, y]);
    return out;
  };
  const g = await run('webgpu');
  const c = await run('cpu');
  await tf.setBackend('webgpu');
  return relError(g, c);
}

describe('fused kernels given a cast int32 tensor', () => {
  // Float32 rounding in another summation order only (the inputs are exact): the ops' own
  // tests' bounds, for these short sums 1e-5 relative.
  it('add & LayerNorm', async () => {
    const e = await both([[8, 16], [8, 16], [16], [16], [16]], (x, r, bias, g, b) =>
      addLayerNorm(x as tf.Tensor2D, r as tf.Tensor2D, bias!, g!, b!),
    );
    expect(e).toBeLessThan(1e-5);
  });
  it('bias + ReLU', async () => {
    const e = await both([[8, 16], [16]], (x, b) => biasAct(x as tf.Tensor2D, b!, 'relu'));
    expect(e).toBe(0);
  });
  it('attention', async () => {
    const e = await both([[2 * 4, 2 * 3 * 4]], (qkv) =>
      attention(qkv as tf.Tensor2D, { N: 2, T: 4, g: 2, dh: 4 }),
    );
    expect(e).toBeLessThan(1e-5);
  });
});
