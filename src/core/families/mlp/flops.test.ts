import type * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { eigenFlopsOf } from '../../flops';
import {
  mlpBackboneParams,
  mlpEvaluationFlops,
  mlpStepEvaluationFlops,
  mlpStepFlops,
  neuronParams,
} from './flops';
import { MLP_FEATURES, Mlp } from './model';
import { testRng } from '../../testing/fake-rng';

const xy = ['x', 'y'] as const;

describe('MLP FLOP accounting, hand-counted', () => {
  it('features (x, y), hidden [2], 2 classes, one sample, neuron 0 updated', () => {
    const f = mlpStepFlops({ features: xy, hidden: [2], classes: 2 }, 1, [true, false]);
    // forward: z = x̃W 2·1·3·2 = 12, tanh 2, out 2·1·2·2 = 8, bias 2, cross-entropy 6·2 = 12
    expect(f.forward).toBe(12 + 2 + 8 + 2 + 12);
    // e = 0 (layer 0 has an updated neuron): CE + bias backward 2·(12 + 2) = 28, output dX 8,
    // tanh backward 2·2 = 4; no dX̃ for layer 0 (its input is data)
    expect(f.inputGrad).toBe(28 + 8 + 4);
    // W_out 8, b_out 2, neuron 0's column x̃ᵀdz 2·1·3 = 6
    expect(f.weightGrad).toBe(8 + 2 + 6);
    // backbone 2·2 + 2 = 6 and neuron 0's 3 parameters; Adam 12 each
    expect(f.optimizer).toBe(12 * 9);
    expect(f.total).toBe(36 + 40 + 16 + 108);
  });

  it('hidden [2, 2], batch 2: layer 0 frozen, layer 1 split', () => {
    const size = { features: xy, hidden: [2, 2], classes: 2 };
    const f = mlpStepFlops(size, 2, [false, false, true, false]);
    // forward: L0 2·2·3·2 = 24 + tanh 4; L1 24 + 4; out 2·2·2·2 = 16, bias 4, CE 24
    expect(f.forward).toBe(28 + 28 + 16 + 4 + 24);
    // e = 1: CE + bias 2·28 = 56, output dX 16, L1 tanh backward 8; L1's dX̃ does not run
    // (its input h_0 depends on no trained variable), nor anything of layer 0
    expect(f.inputGrad).toBe(56 + 16 + 8);
    // W_out 16, b_out 4, neuron L1.N0 2·2·3 = 12
    expect(f.weightGrad).toBe(16 + 4 + 12);
    expect(f.optimizer).toBe(12 * (6 + 3));

    const g = mlpStepFlops(size, 2, [true, false, true, false]);
    // e = 0: 56 + 16 + tanh backward of both layers 8 + 8 + L1's dX̃ 2·2·2·3 = 24 + the sum of
    // L1's two groups' dX̃, 2·3 = 6
    expect(g.inputGrad).toBe(56 + 16 + 8 + 8 + 24 + 6);
    expect(g.weightGrad).toBe(16 + 4 + 12 + 12);
    expect(g.forward).toBe(f.forward);
  });

  it('freezing a neuron removes exactly its weight gradient and optimizer work', () => {
    const size = { features: MLP_FEATURES, hidden: [8, 6, 5], classes: 3 };
    const all = Array<boolean>(19).fill(true);
    const B = 32;
    for (const m of [0, 9, 18]) {
      const off = all.map((u, i) => u && i !== m);
      const l = m < 8 ? 0 : m < 14 ? 1 : 2;
      const a = mlpStepFlops(size, B, all);
      const b = mlpStepFlops(size, B, off);
      const in1 = neuronParams(size, l);
      expect(a.forward).toBe(b.forward);
      expect(a.weightGrad - b.weightGrad).toBe(2 * B * in1);
      expect(a.optimizer - b.optimizer).toBe(12 * in1);
      // The input gradients change only by the sum of the split layer's two groups' dX̃.
      expect(b.inputGrad - a.inputGrad).toBe(l > 0 ? B * in1 : 0);
    }
  });

  it('freezing the whole first layer also drops the second layer’s input gradient', () => {
    const size = { features: xy, hidden: [8, 8], classes: 2 };
    const B = 32;
    const a = mlpStepFlops(size, B, Array<boolean>(16).fill(true));
    const b = mlpStepFlops(size, B, [
      ...Array<boolean>(8).fill(false),
      ...Array<boolean>(8).fill(true),
    ]);
    // Saved: layer 0's weight gradients 8·2·B·3, its tanh backward 2·B·8, layer 1's dX̃ 2·B·8·9.
    expect(a.weightGrad - b.weightGrad).toBe(8 * 2 * B * 3);
    expect(a.inputGrad - b.inputGrad).toBe(2 * B * 8 + 2 * B * 8 * 9);
  });

  it('parameter counts agree with the real model', () => {
    const model = new Mlp({ classes: 3, hidden: [5, 4], features: MLP_FEATURES }, testRng(1));
    const count = (vs: tf.Variable[]) => vs.reduce((a, v) => a + v.size, 0);
    expect(count(model.backboneVariables())).toBe(mlpBackboneParams(model.size));
    model.modules.forEach((info, m) => {
      expect(count(model.moduleVariables(m))).toBe(neuronParams(model.size, info.layer));
      expect(info.params).toBe(neuronParams(model.size, info.layer));
    });
    // Adam on everything = 12 · all parameters.
    const f = mlpStepFlops(
      model.size,
      4,
      model.modules.map(() => true),
    );
    expect(f.optimizer).toBe(12 * count(model.allVariables()));
    model.dispose();
  });

  it('an evaluation, hand-counted: (x, y), hidden [2], 2 classes, n = 2, R′ = 2', () => {
    const e = mlpEvaluationFlops({ features: xy, hidden: [2], classes: 2 }, 2, 2);
    // N′ = 4. forward: out 2·4·2·2 = 32, bias 8, objective 2·4·2 = 16; layer 0: matmul
    // 2·4·3·2 = 48, tanh 8, tap 8
    expect(e.forward).toBe(32 + 8 + 16 + 48 + 8 + 8);
    // backward: 2·(8 + 16) = 48, output dX 32, tanh + tap 2·(8 + 8) = 32; nothing below z_0
    expect(e.backward).toBe(48 + 32 + 32);
    // K = X̃X̃ᵀ: 2·2·2·3 = 24; Gram: Σ_r DDᵀ 2·2·2·2 per neuron · 2 neurons = 32, ⊙K and ·w 2·2·4 = 16
    expect(e.perSample).toBe(24);
    expect(e.gram).toBe(32 + 16);
    expect(e.eigen).toBe(2 * 9 * 8);
    expect(e.total).toBe(120 + 112 + 24 + 48 + 144);
    // The loss kernel: R′ = 1, objective is the cross-entropy, 6 per logit.
    const l = mlpEvaluationFlops({ features: xy, hidden: [2], classes: 2 }, 2, 1, 'loss');
    expect(l.forward).toBe(16 + 4 + 24 + 24 + 4 + 4);
  });
});

describe('MLP evaluations with q × q matrices and the step kernel, hand-counted', () => {
  it('eigen-decompositions cost ≈ 9·side³ each', () => {
    expect(eigenFlopsOf([3, 3, 4])).toBe(9 * (27 + 27 + 64));
    expect(eigenFlopsOf([])).toBe(0);
  });

  it('the loss kernel with q = fanIn + 1 = 3 < n = 4: Ĝ formed, Ĝᵀ Ĝ, 3 × 3 eigen', () => {
    const e = mlpEvaluationFlops({ features: xy, hidden: [2], classes: 2 }, 4, 1, 'loss');
    // N′ = 4: out 2·4·2·2 = 32, bias 8, CE 6·8 = 48; layer 0 2·4·3·2 = 48, tanh 8, tap 8
    expect(e.forward).toBe(32 + 8 + 48 + 48 + 8 + 8);
    expect(e.backward).toBe(2 * (8 + 48) + 32 + 2 * (8 + 8));
    // Ĝ_j = x̃_i·D_ij: H·n·q = 2·4·3; Ĝᵀ Ĝ 2·n·q² = 72 and the weight q² = 9, per neuron
    expect(e.perSample).toBe(24);
    expect(e.gram).toBe(2 * (72 + 9));
    expect(e.eigen).toBe(2 * 9 * 27);
    // Forced n × n (as before the q × q matrices): K 2·n²·3, per neuron DDᵀ 2·n², ⊙K and ·w 2·n².
    const k = mlpEvaluationFlops({ features: xy, hidden: [2], classes: 2 }, 4, 1, 'loss', 'kernel');
    expect(k.perSample).toBe(2 * 16 * 3);
    expect(k.gram).toBe(2 * (32 + 32));
    expect(k.eigen).toBe(2 * 9 * 64);
    // The trace kernel has q = R′·3 = 6 ≥ 4: the n × n kernels, as before.
    const t = mlpEvaluationFlops({ features: xy, hidden: [2], classes: 2 }, 4, 2);
    expect(t.perSample).toBe(2 * 16 * 3);
    expect(t.eigen).toBe(2 * 9 * 64);
  });

  it('the step kernel, n × n: (x, y), hidden [2], batch 3, n = 2', () => {
    const f = mlpStepEvaluationFlops({ features: xy, hidden: [2], classes: 2 }, 3, 2, [
      true,
      false,
    ]);
    // taps 3·2; their backward 2·6; one layer: no input gradient differs from the charged step
    expect(f.forward).toBe(6);
    expect(f.backward).toBe(12);
    // q = 3 ≥ n = 2: K = X̃X̃ᵀ 2·4·3; per neuron DDᵀ 2·4·1, ⊙K and ·B² 2·4
    expect(f.perSample).toBe(24);
    expect(f.gram).toBe(2 * (8 + 8));
    expect(f.eigen).toBe(2 * 9 * 8);
    expect(f.total).toBe(218);
  });

  it('the step kernel, q × q: hidden [2, 2], batch 4, n = 4, layer 0 frozen, layer 1 split', () => {
    const size = { features: xy, hidden: [2, 2], classes: 2 };
    const f = mlpStepEvaluationFlops(size, 4, 4, [false, false, true, false]);
    expect(f.forward).toBe(16);
    // The pass runs the all-updated input gradients: CE + bias 2·(8 + 48) = 112, output dX 32,
    // tanh backward 16 + 16, layer 1's dX̃ 2·4·2·3 = 48 (224); the charged step (e = 1) has
    // 112 + 32 + 16 = 160
    expect(f.backward).toBe(2 * 16 + 224 - 160);
    // both layers P = 3 < 4: Ĝ 2·4·3 = 24, Ĝᵀ Ĝ + weight 2·(2·4·9 + 9) = 162 per layer
    expect(f.perSample).toBe(48);
    expect(f.gram).toBe(324);
    expect(f.eigen).toBe(4 * 9 * 27);
    expect(f.total).toBe(16 + 96 + 48 + 324 + 972);
  });
});
