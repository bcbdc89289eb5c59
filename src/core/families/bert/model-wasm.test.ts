import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { createRng } from '../../rng';
import { TinyBert } from './model';

/**
 * Regression: TF.js 4.22's WASM _FusedMatMul adds the bias at wrong indices when B is
 * transposed, which once corrupted every masked position after the first. The decoder now
 * multiplies and adds separately; the logits must agree with the cpu backend's.
 */
describe('TinyBert logits on WASM', () => {
  it('match the cpu backend at every masked position (≤ 1e-4 relative)', async () => {
    const size = { layers: 1, heads: 2, dModel: 16, dFF: 32, seqLen: 8, vocab: 50 };
    const logits = async (backend: string) => {
      await tf.setBackend(backend);
      const model = new TinyBert(size, createRng(3));
      // A non-zero decoder bias, so a misplaced bias shows.
      model.decB.assign(tf.range(0, 50).div(10));
      const tokens = tf.tensor2d(
        Array.from({ length: 16 }, (_, i) => (i * 7) % 50),
        [2, 8],
        'int32',
      );
      const positions = tf.tensor1d([1, 5, 8, 14], 'int32');
      const out = model.forward({ tokens, positions });
      const values = Float32Array.from(await out.data());
      tf.dispose([out, tokens, positions]);
      model.dispose();
      return values;
    };
    const cpu = await logits('cpu');
    const wasm = await logits('wasm');
    expect(wasm).toHaveLength(4 * 50);
    let maxAbs = 0;
    let scale = 0;
    cpu.forEach((v, i) => {
      maxAbs = Math.max(maxAbs, Math.abs(v - wasm[i]!));
      scale = Math.max(scale, Math.abs(v));
    });
    // fp32 sums of ≤ 32 products reordered between backends: ~1e-6 relative; 1e-4 leaves room.
    expect(maxAbs / scale).toBeLessThan(1e-4);
  });
});
