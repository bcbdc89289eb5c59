import type * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { embedParams, headParams } from '../transformer/flops';
import {
  expertParams,
  switchBackboneParams,
  switchEvaluationFlops,
  switchSharedParams,
  switchSlots,
  switchStepEvaluationFlops,
  switchStepFlops,
} from './flops';
import { TinySwitch, expertCapacity } from './model';
import { testRng } from '../../testing/fake-rng';

/** 1 layer, 1 head, d = 2, dFF = 2, T = 2, V = 4, E = 2, c = 1; one sequence: N = 2 tokens, C = 1, S = 2. */
const tinyTransformer = { layers: 1, heads: 1, dModel: 2, dFF: 2, seqLen: 2, vocab: 4 };
const tiny = { ...tinyTransformer, experts: 2, capacityFactor: 1 };
/** 2 layers, 4 heads, d = 16, dFF = 24, T = 8, V = 40, E = 3, c = 1.25. */
const smallTransformer = { layers: 2, heads: 4, dModel: 16, dFF: 24, seqLen: 8, vocab: 40 };
const small = { ...smallTransformer, experts: 3, capacityFactor: 1.25 };

describe('Switch FLOP accounting, hand-counted', () => {
  it('capacity C = ceil(c·tokens/E), at most the tokens, without float noise', () => {
    expect(expertCapacity(2, 2, 1)).toBe(1);
    expect(expertCapacity(512, 4, 1.25)).toBe(160);
    expect(expertCapacity(10, 3, 1.2)).toBe(4); // 1.2·10/3 = 4.000000000000001 in floats
    expect(expertCapacity(10, 3, 1)).toBe(4);
    expect(expertCapacity(6, 1, 4)).toBe(6);
    expect(switchSlots(tiny, 1)).toEqual({ C: 1, S: 2 });
    // The probe: R' = 4 routing groups of one replica each.
    expect(switchSlots({ ...tiny, seqLen: 8 }, 12, 4)).toEqual({ C: 12, S: 2 * 4 * 12 });
  });

  it('one step of the tiny model, every module updated', () => {
    const f = switchStepFlops(tiny, 1, [true, true, true]);
    // matmuls: q|k|v 2·2·3·6 = 72, scores+context 2·2·1·1·2·2·2 = 32, out-proj 2·2·2·2 = 16,
    // router 2·2·2·2 = 16, experts on S = 2 slots 2·2·3·2 + 2·2·3·2 = 48, MLM transform 8,
    // decoder 2·1·2·4 = 16 → 208.
    // differentiable element-wise: pos 4 + emb-LN 16·2 = 36; q-scale 4, softmax 5·4 = 20,
    // bias 4, residual 4, LN 32; router softmax 5·4 = 20, gate Σ p⊙m 8, load balance 4+4+1 = 9,
    // ReLU on the slots 4, gate multiply 4, residual 4, LN 32; head: bias+ReLU 4, LN 16,
    // dec-bias 4, CE 24 → 229.
    // routing, off the tape: 12·N·E + 6·N + 4·S = 48 + 12 + 8 = 68; the loss adds aux: 1.
    expect(f.forward).toBe(208 + 229 + 68 + 1);
    // input grads: 208 + scores/context second operands 32 + 2·(229 + 1) + masks on the two
    // gathers' gradients N·d + S·d = 8 (no backward for the routing).
    expect(f.inputGrad).toBe(208 + 32 + 460 + 8);
    // weight grads: router 16, MLM 8, decoder 16; bo 4 + LNs 16; head biases/LN 2+4+4;
    // embeddings 4+4+8; the head's q|k|v 72 + out 16; each expert on its C = 1 slot 12 + 12.
    expect(f.weightGrad).toBe(16 + 8 + 16 + 20 + 10 + 16 + 88 + 2 * 24);
    // parameters: backbone 8+4+4 + (2+4+4+4) + 4+2+4+4 = 44, head 22, experts 2·12
    expect(switchBackboneParams(tiny)).toBe(44);
    expect(headParams(tiny)).toBe(22);
    expect(expertParams(tiny)).toBe(12);
    expect(f.optimizer).toBe(12 * (44 + 22 + 24));
    expect(f.total).toBe(506 + 708 + 222 + 1080);
  });

  it('the embeddings a module, all updated: the same step as without', () => {
    const every = { ffn: false, embed: true };
    expect(switchStepFlops(tiny, 1, [true, true, true, true], every)).toEqual(
      switchStepFlops(tiny, 1, [true, true, true]),
    );
    // `ffn` changes nothing: the Switch Transformer's FFN blocks are its experts.
    expect(switchStepFlops(tiny, 1, [true, false, true], { ffn: true, embed: false })).toEqual(
      switchStepFlops(tiny, 1, [true, false, true]),
    );
  });

  it('the tiny model with every module frozen (head, experts, embeddings): backprop stops', () => {
    const f = switchStepFlops(tiny, 1, [false, false, false, false], { ffn: false, embed: true });
    expect(f.forward).toBe(208 + 229 + 68 + 1);
    // Input grads: nothing below layer 0's attention bias and LayerNorm needs one: no
    // embedding backward, no backward through the frozen head. What runs: matmuls router 16,
    // experts 48, MLM transform 8, decoder 16 → 88; element-wise twice: attention bias 4,
    // residual 4, LN 32 → 80; router softmax 20, gate 8, load balance 9, ReLU 4, gate multiply
    // 4, residual 4, LN 32 → 162; the gathers' gradient masks 8; head: bias+ReLU 4, LN 16,
    // dec-bias 4, CE 24 → 96; the aux add 2.
    expect(f.inputGrad).toBe(88 + 80 + 162 + 8 + 96 + 2);
    // Weight grads: router 16, MLM 8, bo and LNs 20, MLM biases and LN 10; no head, expert,
    // embedding or tied-decoder ones.
    expect(f.weightGrad).toBe(16 + 8 + 20 + 10);
    // Parameters still trained: the backbone without the embeddings (44 − 16).
    expect(switchBackboneParams(tiny, { ffn: false, embed: true })).toBe(28);
    expect(f.optimizer).toBe(12 * 28);
  });

  it('with the shared parts under the modules, everything frozen: only the MLM head trains', () => {
    const whole = { ffn: false, embed: true, shared: true };
    const f = switchStepFlops(tiny, 1, [false, false, false, false], whole);
    expect(f.forward).toBe(208 + 229 + 68 + 1);
    // Input grads: nothing in the encoder trains, so below the MLM head nothing runs; the head's
    // decoder input gradient 16 (for its own weights), not the dense's; element-wise twice:
    // bias+ReLU 4, LN 16, dec-bias 4, CE 24 → 96; the aux add 2.
    expect(f.inputGrad).toBe(16 + 96 + 2);
    // Weight grads: the MLM dense 8, its biases and LN 10; no router, norm or bias of the layer.
    expect(f.weightGrad).toBe(8 + 10);
    // Parameters trained: the MLM head only (d² + d + 2d + V = 14).
    expect(switchBackboneParams(tiny, whole)).toBe(14);
    expect(f.optimizer).toBe(12 * 14);
  });

  it('with the shared parts, a frozen head over updated experts: the router trains, nothing below', () => {
    const whole = { ffn: false, embed: true, shared: true };
    // Module order: L0.H0, L0.E0, L0.E1, E.
    const f = switchStepFlops(tiny, 1, [false, true, true, false], whole);
    expect(f.forward).toBe(208 + 229 + 68 + 1);
    // Matmuls: the experts' hidden gradient D_y·W̃2ᵀ on both slots 2·2·3·2 = 24 (not their input
    // gradient D_h·W̃1ᵀ, nor the router's D·W_rᵀ: the layer's input needs none); the MLM dense's
    // 8 and the decoder's 16. Element-wise twice: router softmax 20, gate 8, load balance 9 →
    // 74; ReLU 8; the combine gather's mask S·d = 4 (not the dispatch's); gate multiply 4,
    // residual 4, LN 32 → 80; head 96; the aux add 2. No attention backward.
    expect(f.inputGrad).toBe(24 + 8 + 16 + 74 + 8 + 4 + 80 + 96 + 2);
    // Weight grads: router 16, experts 2·24, FFN LN 8, MLM dense 8, MLM biases and LN 10.
    expect(f.weightGrad).toBe(16 + 48 + 8 + 8 + 10);
    // Parameters: the MLM head 14, both experts 24, the router and FFN norm 4 + 4.
    expect(f.optimizer).toBe(12 * (14 + 24 + 8));
  });

  it('with the shared parts, every module updated: the same step as without', () => {
    for (const s of [tiny, small]) {
      const mods = s.layers * (s.heads + s.experts) + 1;
      const all = Array<boolean>(mods).fill(true);
      expect(switchStepFlops(s, 2, all, { ffn: false, embed: true, shared: true })).toEqual(
        switchStepFlops(s, 2, all, { ffn: false, embed: true }),
      );
      expect(
        switchStepFlops(s, 2, all.slice(1), { ffn: false, embed: false, shared: true }),
      ).toEqual(switchStepFlops(s, 2, all.slice(1)));
    }
  });

  it('with the shared parts, a step evaluation charges the shared gradients the step does not', () => {
    const whole = { ffn: false, embed: true, shared: true };
    const all = switchStepEvaluationFlops(tiny, 1, 1, [true, true, true, true], whole);
    const none = switchStepEvaluationFlops(tiny, 1, 1, [false, false, false, false], whole);
    // The pass runs the all-updated step's input gradients (708) where the frozen step runs 114,
    // and takes the layer's attention bias and norm gradients (3·N·d = 12), its router's weight
    // gradient (2·N·d·E = 16) and FFN norm's (2·N·d = 8), which that step does not train.
    expect(none.backward - all.backward).toBe(708 - 114 + 12 + 16 + 8);
    expect(none.forward).toBe(all.forward);
    // Without `shared` the same frozen pattern leaves the norms and router to the backbone.
    const plain = { ffn: false, embed: true };
    const noneBackbone = switchStepEvaluationFlops(tiny, 1, 1, [false, false, false, false], plain);
    expect(noneBackbone.backward - all.backward).toBe(708 - 436);
  });

  it('with the shared parts, a step-kernel step charges what it charges without (Adam apart)', () => {
    // The step kernel's pass differentiates the backbone and every shared part whatever the
    // decision, so it runs the same work with or without `shared`: only the split between the
    // charged step and the evaluation moves, and Adam's share (it updates what trains).
    const size = { ...small, dFF: 32, vocab: 50, experts: 4 };
    const mods = 2 * 4 + 2 * 4 + 1;
    const rng = testRng(5);
    for (let trial = 0; trial < 20; trial++) {
      const on = Array.from({ length: mods }, () => rng.next() < 0.4);
      const cost = (selection: { ffn: boolean; embed: boolean; shared?: boolean }) => {
        const step = switchStepFlops(size, 4, on, selection);
        const evaluation = switchStepEvaluationFlops(size, 4, 2, on, selection);
        return step.total - step.optimizer + evaluation.total;
      };
      expect(cost({ ffn: false, embed: true, shared: true })).toBe(
        cost({ ffn: false, embed: true }),
      );
    }
  });

  it('a frozen bottom in a 2-layer model saves exactly what TF.js does not run', () => {
    const size = { ...small, dFF: 32, vocab: 50, experts: 4 };
    const every = { ffn: false, embed: true };
    const [B, N, BM, d, V, dh, H] = [4, 32, 4, 16, 50, 4, 4];
    const C = 10;
    // Module order: L0.H0–3, L1.H0–3, L0.E0–3, L1.E0–3, E.
    const all = switchStepFlops(size, B, Array<boolean>(17).fill(true), every);
    const F4 = Array<boolean>(4).fill(false);
    const T4 = Array<boolean>(4).fill(true);
    const low = switchStepFlops(size, B, [...F4, ...T4, ...F4, ...T4, false], every);
    expect(low.forward).toBe(all.forward);
    const emb = N * d + 8 * N * d;
    const qkv = 2 * N * 17 * 3 * d;
    const core = 2 * 2 * B * H * 8 * 8 * dh;
    const out = 2 * N * d * d;
    const ew = N * d + 5 * B * H * 8 * 8;
    expect(all.inputGrad - low.inputGrad).toBe(2 * emb + qkv + 2 * core + out + 2 * ew);
    const perExpert = 2 * C * 17 * 32 + 2 * C * 33 * 16;
    expect(all.weightGrad - low.weightGrad).toBe(
      4 * N * d + 2 * BM * d * V + qkv + out + 4 * perExpert,
    );
    expect(all.optimizer - low.optimizer).toBe(
      12 * (embedParams(size) + 4 * headParams(size) + 4 * expertParams(size)),
    );
  });

  it('freezing an expert saves exactly its weight gradient and its Adam work', () => {
    const size = { ...small, dFF: 32, vocab: 50, experts: 4 };
    const mods = 2 * 4 + 2 * 4;
    const all = switchStepFlops(size, 4, Array<boolean>(mods).fill(true));
    const on = Array<boolean>(mods).fill(true);
    on[8 + 5] = false; // L1.E1
    const one = switchStepFlops(size, 4, on);
    const C = Math.ceil((1.25 * 32) / 4);
    expect(C).toBe(10);
    expect(all.forward).toBe(one.forward);
    expect(all.inputGrad).toBe(one.inputGrad);
    expect(all.weightGrad - one.weightGrad).toBe(2 * C * 17 * 32 + 2 * C * 33 * 16);
    expect(all.optimizer - one.optimizer).toBe(12 * (17 * 32 + 33 * 16));
    // Freezing a head also changes the forward (two head groups are summed), as for BERT.
    const head = Array<boolean>(mods).fill(true);
    head[1] = false;
    expect(switchStepFlops(size, 4, head).forward - all.forward).toBe(4 * 8 * 16);
  });

  it('routed experts cost c × one dense FFN, not E ×', () => {
    const base = { layers: 1, heads: 2, dModel: 16, dFF: 64, seqLen: 16, vocab: 40 };
    const expertMatmul = (E: number, c: number) => {
      const s = { ...base, experts: E, capacityFactor: c };
      const { S } = switchSlots(s, 8);
      return 2 * S * 17 * 64 + 2 * S * 65 * 16;
    };
    const dense = 2 * 128 * 17 * 64 + 2 * 128 * 65 * 16;
    expect(expertMatmul(4, 1.25)).toBe(1.25 * dense);
    expect(expertMatmul(8, 1)).toBe(dense);
  });

  it('parameter counts agree with the real model', () => {
    const size = small;
    const model = new TinySwitch(size, testRng(1));
    const count = (vs: tf.Variable[]) => vs.reduce((a, v) => a + v.size, 0);
    expect(count(model.backboneVariables())).toBe(switchBackboneParams(size));
    expect(count(model.moduleVariables(3))).toBe(headParams(size));
    expect(count(model.moduleVariables(model.firstExpert + 4))).toBe(expertParams(size));
    expect(model.modules.map((m) => m.params)).toEqual([
      ...Array<number>(8).fill(headParams(size)),
      ...Array<number>(6).fill(expertParams(size)),
    ]);
    expect(count(model.allVariables())).toBe(
      switchBackboneParams(size) + 8 * headParams(size) + 6 * expertParams(size),
    );
    model.dispose();
  });

  it('with the shared parts: backbone, modules and shared parts still partition the model', () => {
    const whole = { ffn: false, embed: true, shared: true };
    const model = new TinySwitch(small, testRng(1), whole);
    const count = (vs: tf.Variable[]) => vs.reduce((a, v) => a + v.size, 0);
    const { dModel: d, experts: E, layers: L } = small;
    expect(switchSharedParams(small)).toEqual({ attention: 3 * d, ffn: d * E + 2 * d });
    expect(model.sharedParts().map((p) => count(p.variables))).toEqual(
      Array.from({ length: L }, () => [3 * d, d * E + 2 * d]).flat(),
    );
    expect(count(model.backboneVariables())).toBe(switchBackboneParams(small, whole));
    expect(switchBackboneParams(small) - switchBackboneParams(small, whole)).toBe(
      embedParams(small) + L * (3 * d + d * E + 2 * d),
    );
    expect(count(model.allVariables())).toBe(
      switchBackboneParams(small) + 8 * headParams(small) + 6 * expertParams(small),
    );
    // Each router part belongs to its layer's experts (module order: 8 heads, then experts).
    expect(model.sharedParts()[3]!.modules).toEqual([11, 12, 13]);
    model.dispose();
  });

  it('an evaluation with the embeddings a module: their taps, backward, kernel, eigen-solve', () => {
    const a = switchEvaluationFlops(small, 8, 2);
    const b = switchEvaluationFlops(small, 8, 2, { ffn: false, embed: true });
    const tokens = 8 * 2 * 8;
    const taps = 2 * tokens * 16 + 8 * 2 * 1 * 40;
    expect(b.forward - a.forward).toBe(taps);
    expect(b.backward - a.backward).toBe(2 * taps + 2 * tokens * 17 * 48 + 2 * 8 * tokens * 16);
    expect(b.eigen - a.eigen).toBe(9 * 512);
    expect(b.gram).toBeGreaterThan(a.gram);
  });

  it('an evaluation: per-sample and Gram parts grow linearly in projections', () => {
    const size = small;
    const a = switchEvaluationFlops(size, 8, 2);
    const b = switchEvaluationFlops(size, 8, 4);
    expect(b.perSample).toBe(2 * a.perSample);
    expect(b.gram).toBe(2 * a.gram);
    expect(b.eigen).toBe(a.eigen);
    expect(a.eigen).toBe(2 * (4 + 3) * 9 * 512);
    // Grams: heads P = 17·12 + 4·16 = 268, experts P = 17·24 + 25·16 = 808; 2·n²·P + n² each
    expect(a.gram).toBe(2 * 4 * 2 * (2 * 64 * 268 + 64) + 2 * 3 * 2 * (2 * 64 * 808 + 64));
    // Expert per-sample products over all N'·T = 128 tokens for each expert, plus the masks.
    const heads = 2 * (2 * 128 * 17 * 48 + 2 * 128 * 16 * 16);
    const experts = 2 * (3 * 2 * 128 * (17 * 24 + 25 * 16) + 3 * 128 * (17 + 16));
    expect(a.perSample).toBe(heads + experts);
  });
});
