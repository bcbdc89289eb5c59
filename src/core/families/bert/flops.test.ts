import type * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { backboneParams, bertEvaluationFlops, bertStepFlops, ffnParams } from './flops';
import { embedParams, headParams } from '../transformer/flops';
import { TinyBert } from './model';
import { testRng } from '../../testing/fake-rng';

const tiny = { layers: 1, heads: 1, dModel: 2, dFF: 2, seqLen: 1, vocab: 4 };

describe('FLOP accounting, hand-counted', () => {
  it('FFN blocks and embeddings as modules, all updated: the same step as heads alone', () => {
    const every = { ffn: true, embed: true };
    expect(bertStepFlops(tiny, 1, [true, true, true], every)).toEqual(
      bertStepFlops(tiny, 1, [true]),
    );
  });

  it('the tiny model with every module frozen (heads, FFN, embeddings): backprop stops', () => {
    const f = bertStepFlops(tiny, 1, [false, false, false], { ffn: true, embed: true });
    // The forward is unchanged (one head group).
    expect(f.forward).toBe(92 + 117);
    // Input grads: nothing below layer 0's attention bias and LayerNorm needs a gradient, so the
    // embeddings' backward (position add, LayerNorm) and the frozen head's whole backward
    // (q|k|v input 36, scores/context both operands 16, out-proj input 8, q-scale and softmax)
    // do not run. What does: matmuls FFN 8 + 8, MLM transform 8, decoder 16 → 40;
    // element-wise twice: attention bias 2, residual 2, LN 16 → 40; FFN bias+ReLU 4, bias 2,
    // residual 2, LN 16 → 48; head: bias+ReLU 4, LN 16, dec-bias 4, CE 24 → 96.
    expect(f.inputGrad).toBe(40 + 40 + 48 + 96);
    // Weight grads: attention bias 2 + LN 4, FFN's LN 4, MLM transform 8 and its bias, LN,
    // decoder bias 2 + 4 + 4; no head, FFN, embedding or decoder (tied: token embedding) ones.
    expect(f.weightGrad).toBe(6 + 4 + 8 + 10);
    // Parameters still trained: per layer bo, ln1, ln2 (10), MLM head 4 + 2 + 4 + decB 4.
    expect(f.optimizer).toBe(12 * 24);
  });

  it('with the shared parts under the modules, everything frozen: only the MLM head trains', () => {
    const whole = { ffn: true, embed: true, shared: true };
    const f = bertStepFlops(tiny, 1, [false, false, false], whole);
    expect(f.forward).toBe(92 + 117);
    // Nothing under the MLM head trains: its decoder input gradient (16) and element-wise
    // backward (bias+ReLU 4, LN 16, dec-bias 4, CE 24 → 96) run; not its dense's input
    // gradient (8), nor anything in the layer (the previous test's 40 + 48 and the FFN's 16).
    expect(f.inputGrad).toBe(16 + 96);
    // Weight grads: MLM transform 8, its bias 2, LN 4, decoder bias 4; no bias or norm of the
    // layer (6 + 4 in the previous test).
    expect(f.weightGrad).toBe(8 + 10);
    // Parameters still trained: the MLM head only, 4 + 2 + 4 + decB 4.
    expect(f.optimizer).toBe(12 * 14);
    // Updated, the shared parts train with their modules: the same step as without `shared`.
    const every = { ffn: true, embed: true };
    expect(bertStepFlops(tiny, 1, [true, true, true], whole)).toEqual(
      bertStepFlops(tiny, 1, [true, true, true], every),
    );
    // The head updated, the FFN frozen: the head (22 parameters) and the attention's bias and
    // norm (3d = 6) train, the FFN's norm does not.
    const head = bertStepFlops(tiny, 1, [true, false, false], whole);
    expect(head.optimizer).toBe(12 * (14 + 6 + 22));
  });

  it('the tiny model with only the embeddings frozen', () => {
    const f = bertStepFlops(tiny, 1, [true, true, false], { ffn: true, embed: true });
    // Input grads: all but the embeddings' backward (2·(2 + 16)) and the head's q|k|v input
    // gradient (36): the head is updated, so its scores, context and out-proj backward run.
    expect(f.inputGrad).toBe(334 - 36 - 36);
    // Weight grads: all but the embeddings' (pos 2, scatter 2, LN 4) and the tied decoder's 16.
    expect(f.weightGrad).toBe(116 - 8 - 16);
    expect(f.optimizer).toBe(12 * (72 - 14));
  });

  it('a frozen bottom in a 2-layer model saves exactly what TF.js does not run', () => {
    const size = { layers: 2, heads: 4, dModel: 16, dFF: 32, seqLen: 8, vocab: 50 };
    const every = { ffn: true, embed: true };
    const B = 4;
    const [N, BM, d, f, V, dh] = [32, 4, 16, 32, 50, 4];
    // Module order: L0.H0–3, L1.H0–3, L0.F, L1.F, E.
    const all = bertStepFlops(size, B, Array<boolean>(11).fill(true), every);
    const bottom = [...Array<boolean>(4).fill(false), ...Array<boolean>(4).fill(true)];
    const low = bertStepFlops(size, B, [...bottom, false, true, false], every);
    expect(low.forward).toBe(all.forward);
    const emb = N * d + 8 * N * d; // position add, embedding LayerNorm
    const qkv = 2 * N * 17 * 3 * d;
    const core = 2 * 2 * B * 4 * 8 * 8 * dh;
    const out = 2 * N * d * d;
    const ew = N * d + 5 * B * 4 * 8 * 8; // q scaling, softmax
    expect(all.inputGrad - low.inputGrad).toBe(2 * emb + qkv + 2 * core + out + 2 * ew);
    const ffn = 2 * N * d * f + 2 * N * f * d + N * f + N * d;
    expect(all.weightGrad - low.weightGrad).toBe(
      4 * N * d + 2 * BM * d * V + qkv + out + ffn, // embeddings, tied decoder, L0 heads, L0.F
    );
    expect(all.optimizer - low.optimizer).toBe(
      12 * (embedParams(size) + 4 * headParams(size) + ffnParams(size)),
    );
    // Two layers up nothing changes: freezing layer 1's modules instead saves weight
    // gradients only (the embeddings still train, so every input gradient runs).
    const top = bertStepFlops(size, B, [...bottom.reverse(), true, false, true], every);
    expect(top.inputGrad).toBe(all.inputGrad);
  });

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
    // Layer 0 now runs two head groups, whose outputs are summed: one add, twice backward.
    expect(one.forward - all.forward).toBe(N * 16);
    expect(one.inputGrad - all.inputGrad).toBe(2 * N * 16);
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
    const every = { ffn: true, embed: true };
    const all = new TinyBert(size, testRng(1), every);
    expect(all.modules.map((m) => m.id)).toEqual([
      ...['L0.H0', 'L0.H1', 'L0.H2', 'L0.H3', 'L1.H0', 'L1.H1', 'L1.H2', 'L1.H3'],
      ...['L0.F', 'L1.F', 'E'],
    ]);
    expect(count(all.backboneVariables())).toBe(backboneParams(size, every));
    expect(count(all.moduleVariables(8))).toBe(ffnParams(size));
    expect(count(all.moduleVariables(10))).toBe(embedParams(size));
    expect(all.modules.map((m) => m.params)).toEqual(
      all.modules.map((_, m) => count(all.moduleVariables(m))),
    );
    // Every variable once: the backbone and the modules partition the model.
    expect(count(all.allVariables())).toBe(count(model.allVariables()));
    expect(new Set(all.allVariables().map((v) => v.name)).size).toBe(all.allVariables().length);
    all.dispose();
    // With `shared`: per layer the attention bias and norm (3d) go with the heads, the FFN norm
    // (2d) with its block; backbone, modules and shared parts still partition the model.
    const whole = { ffn: true, embed: true, shared: true };
    const w = new TinyBert(size, testRng(1), whole);
    expect(count(w.backboneVariables())).toBe(backboneParams(size, whole));
    expect(backboneParams(size, every) - backboneParams(size, whole)).toBe(2 * (48 + 32));
    const parts = w.sharedParts();
    expect(parts.map((p) => [count(p.variables), p.modules])).toEqual([
      [48, [0, 1, 2, 3]],
      [32, [8]],
      [48, [4, 5, 6, 7]],
      [32, [9]],
    ]);
    expect(count(w.allVariables())).toBe(count(model.allVariables()));
    expect(new Set(w.allVariables().map((v) => v.name)).size).toBe(w.allVariables().length);
    w.dispose();
  });

  it('an evaluation with FFN blocks and embeddings: their taps, products, Grams, eigen-solves', () => {
    const size = { layers: 2, heads: 4, dModel: 16, dFF: 24, seqLen: 8, vocab: 40 };
    const [n, R, d, f, T, V, M, L] = [8, 2, 16, 24, 8, 40, 1, 2];
    const heads = bertEvaluationFlops(size, n, R);
    const ffn = bertEvaluationFlops(size, n, R, { ffn: true, embed: false });
    const tokens = n * R * T;
    // FFN: taps on h and y (once forward, twice backward), per-sample x̃ᵀD^h and ãᵀD^y, Grams.
    expect(ffn.forward - heads.forward).toBe(L * tokens * (f + d));
    expect(ffn.backward - heads.backward).toBe(2 * L * tokens * (f + d));
    expect(ffn.perSample - heads.perSample).toBe(L * 2 * tokens * (17 * f + 25 * d));
    expect(ffn.gram - heads.gram).toBe(L * R * (2 * n * n * ffnParams(size) + n * n));
    expect(ffn.eigen - heads.eigen).toBe(2 * 9 * n ** 3);
    // Embeddings: three taps (token + position sum, LayerNorm output, logits), and the backward
    // now reaches them: layer 0's q|k|v input gradient and the embedding LayerNorm run.
    const emb = bertEvaluationFlops(size, n, R, { ffn: false, embed: true });
    const taps = 2 * tokens * d + n * R * M * V;
    expect(emb.forward - heads.forward).toBe(taps);
    expect(emb.backward - heads.backward).toBe(
      2 * taps + 2 * tokens * 17 * 3 * d + 2 * 8 * tokens * d,
    );
    expect(emb.eigen - heads.eigen).toBe(9 * n ** 3);
    // Its Gram from token pairs: per replica 2·(nT)²·d products and more, no V·d per sample.
    expect(emb.gram - heads.gram).toBeGreaterThan(R * 2 * (n * T) ** 2 * d);
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
