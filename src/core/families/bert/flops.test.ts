import type * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { backboneParams, bertEvaluationFlops, bertStepFlops } from './flops';
import { headParams } from '../transformer/flops';
import { TinyBert } from './model';
import { testRng } from '../../testing/fake-rng';

const tiny = { layers: 1, heads: 1, dModel: 2, dFF: 2, seqLen: 1, vocab: 4 };

describe('FLOP accounting, hand-counted', () => {
  it('one step of a 1-layer, 1-head, d = 2 model on one token', () => {
    const f = bertStepFlops(tiny, 1, [true]);
    // matmuls: q|k|v 2·1·3·6 = 36, scores+context 2·2·1·1·1·1·2 = 8, out-proj 2·1·2·2 = 8,
    // FFN 8 + 8 = 16, MLM transform 2·1·2·2 = 8, decoder 2·1·2·4 = 16  → 92
    // element-wise: pos 2 + emb-LN 16; layer: q-scale 2, softmax 5, bias 2, residual 2, LN 16,
    // FFN bias+ReLU 4, bias 2, residual 2, LN 16; head: bias+ReLU 4, LN 16, dec-bias 4, CE 24 → 117
    expect(f.forward).toBe(92 + 117);
    // input grads: 92 + the second operand of scores and context (8) + 2·117
    expect(f.inputGrad).toBe(92 + 8 + 234);
    // weight grads: FFN 16, MLM 8, decoder 16; biases/gains: layer 2+2+2+8 = 14, head 2+4+4;
    // embeddings: pos 2 + token scatter 2 + emb-LN 4; the head's q|k|v 36 + out-proj 8
    expect(f.weightGrad).toBe(16 + 8 + 16 + 14 + 10 + 8 + 44);
    // parameters: backbone 50, head 3·6 + 2·2 = 22; Adam 12 per parameter
    expect(f.optimizer).toBe(12 * 72);
    expect(f.total).toBe(209 + 334 + 116 + 864);
  });

  it('freezing a head removes exactly its weight gradient and optimizer work', () => {
    const size = { layers: 2, heads: 4, dModel: 16, dFF: 32, seqLen: 8, vocab: 50 };
    const all = bertStepFlops(size, 4, Array(8).fill(true));
    const one = bertStepFlops(size, 4, [false, ...Array(7).fill(true)]);
    const N = 4 * 8;
    const dh = 4;
    expect(all.forward).toBe(one.forward);
    expect(all.inputGrad).toBe(one.inputGrad);
    expect(all.weightGrad - one.weightGrad).toBe(2 * N * 17 * 3 * dh + 2 * N * dh * 16);
    expect(all.optimizer - one.optimizer).toBe(12 * (17 * 3 * dh + dh * 16));
  });

  it('parameter counts agree with the real model', () => {
    const size = { layers: 2, heads: 4, dModel: 16, dFF: 24, seqLen: 8, vocab: 40 };
    const model = new TinyBert(size, testRng(1));
    const count = (vs: tf.Variable[]) => vs.reduce((a, v) => a + v.size, 0);
    expect(count(model.backboneVariables())).toBe(backboneParams(size));
    expect(count(model.moduleVariables(3))).toBe(headParams(size));
    model.dispose();
  });

  it('an evaluation grows linearly in projections for its per-sample and Gram parts', () => {
    const size = { layers: 2, heads: 4, dModel: 16, dFF: 24, seqLen: 8, vocab: 40 };
    const a = bertEvaluationFlops(size, 8, 2);
    const b = bertEvaluationFlops(size, 8, 4);
    expect(b.perSample).toBe(2 * a.perSample);
    expect(b.gram).toBe(2 * a.gram);
    expect(b.eigen).toBe(a.eigen);
    // Gram of one head: 2·n²·P per projection, P = 17·12 + 4·16 = 268 parameters
    expect(a.gram).toBe(2 * 4 * 2 * (2 * 64 * 268 + 64));
  });
});
