import type * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import {
  vggBackboneParams,
  vggEvaluationFlops,
  vggGroupParams,
  vggStepEvaluationFlops,
  vggStepFlops,
} from './flops';
import { DEFAULT_VGG, SmallVgg } from './model';
import { testRng } from '../../testing/fake-rng';

/** One conv (1 → 2 channels, g = 1) on a 2 × 2 image, pool → 1 × 1 × 2, dense 2 → 2. */
const one = {
  channels: [2],
  convsPerStage: 1,
  groupSize: 1,
  classes: 2,
  inputSize: 2,
  inChannels: 1,
};
/** Two convs (1 → 2 at 4 × 4, pool, 2 → 2 at 2 × 2, pool), g = 1, dense 2 → 2. */
const two = { ...one, channels: [2, 2], inputSize: 4 };

describe('VGG FLOP accounting, hand-counted', () => {
  it('one conv layer, one image, everything updated', () => {
    const f = vggStepFlops(one, 1, [true, true]);
    // conv 2·S²·9·cin·cout = 2·4·9·1·2 = 144; bias + ReLU 2·4·2 = 16; pool 3·1·2 = 6;
    // dense 2·F·k = 2·2·2 = 8, its bias 2; cross-entropy 6·2 = 12
    expect(f.forward).toBe(144 + 16 + 6 + 8 + 2 + 12);
    // backward: loss + dense bias 2·(12 + 2) = 28, dense input grad 8, bias/ReLU/pool 2·22 = 44;
    // no conv input gradient (its input is the image)
    expect(f.inputGrad).toBe(28 + 8 + 44);
    // each group: filter 2·4·9·1·1 = 72 + bias 4; dense 8 + 2
    expect(f.weightGrad).toBe(2 * 76 + 10);
    // parameters: 2 groups × (9 + 1) + dense 2·2 + 2 = 26
    expect(f.optimizer).toBe(12 * 26);
    expect(f.total).toBe(188 + 80 + 162 + 312);
  });

  it('two conv layers: input gradients go down to the earliest updated layer only', () => {
    // forward per image: conv0 2·16·9·1·2 = 576, bias+ReLU 64, pool 3·4·2 = 24;
    // conv1 2·4·9·2·2 = 288, bias+ReLU 16, pool 6; dense 8 + 2, CE 12 → 996
    const all = vggStepFlops(two, 1, [true, true, true, true]);
    expect(all.forward).toBe(996);
    // layer 0: 2·88 = 176; layer 1: 2·22 = 44 + conv1 input grad 288; head 28 + 8 = 36
    expect(all.inputGrad).toBe(176 + 44 + 288 + 36);
    // C0 groups 2·(2·16·9·1·1 + 16) = 608; C1 groups 2·(2·4·9·2·1 + 4) = 296; dense 10
    expect(all.weightGrad).toBe(608 + 296 + 10);
    expect(all.optimizer).toBe(12 * (6 + 2 * 10 + 2 * 19));

    // Only C1.G0 updated: layer 0 is off the backward path, conv1's input gradient too.
    const late = vggStepFlops(two, 1, [false, false, true, false]);
    expect(late.forward).toBe(996);
    expect(late.inputGrad).toBe(44 + 36);
    expect(late.weightGrad).toBe(148 + 10);
    expect(late.optimizer).toBe(12 * (6 + 19));

    // Nothing in the convs updated: only the classifier trains, no input gradient into it.
    const head = vggStepFlops(two, 1, [false, false, false, false]);
    expect(head.inputGrad).toBe(28);
    expect(head.weightGrad).toBe(10);
  });

  it('scales linearly in the batch except for Adam', () => {
    const a = vggStepFlops(DEFAULT_VGG, 8, Array(12).fill(true));
    const b = vggStepFlops(DEFAULT_VGG, 32, Array(12).fill(true));
    expect(b.forward).toBe(4 * a.forward);
    expect(b.inputGrad).toBe(4 * a.inputGrad);
    expect(b.weightGrad).toBe(4 * a.weightGrad);
    expect(b.optimizer).toBe(a.optimizer);
  });

  it('freezing a group saves exactly its filter + bias gradient and its Adam work', () => {
    const B = 32;
    const all = vggStepFlops(DEFAULT_VGG, B, Array(12).fill(true));
    // Modules: C0.G0-1 (1→16 @28), C1.G0-1 (16→16 @28), C2.G0-3 (16→32 @14), C3.G0-3 (32→32 @14).
    for (const [m, cin, S] of [
      [0, 1, 28],
      [3, 16, 28],
      [5, 16, 14],
      [11, 32, 14],
    ] as const) {
      const upd = Array<boolean>(12).fill(true);
      upd[m] = false;
      const f = vggStepFlops(DEFAULT_VGG, B, upd);
      expect(f.forward).toBe(all.forward);
      expect(f.inputGrad).toBe(all.inputGrad);
      expect(all.weightGrad - f.weightGrad).toBe(B * (2 * S * S * 9 * cin * 8 + S * S * 8));
      expect(all.optimizer - f.optimizer).toBe(12 * (9 * cin * 8 + 8));
    }
    // Freezing the whole first layer also removes its bias + ReLU backward (no pool follows
    // conv 0) and conv 1's input gradient: 2·(2·784·16) + 2·784·9·16·16 per image.
    const f = vggStepFlops(DEFAULT_VGG, B, [false, false, ...Array<boolean>(10).fill(true)]);
    expect(all.inputGrad - f.inputGrad).toBe(B * (2 * (2 * 784 * 16) + 2 * 784 * 9 * 16 * 16));
  });

  it('parameter counts agree with the real model', () => {
    const model = new SmallVgg(DEFAULT_VGG, testRng(1));
    const count = (vs: tf.Variable[]) => vs.reduce((a, v) => a + v.size, 0);
    expect(count(model.backboneVariables())).toBe(vggBackboneParams(DEFAULT_VGG));
    expect(vggBackboneParams(DEFAULT_VGG)).toBe(7 * 7 * 32 * 10 + 10);
    model.modules.forEach((info, m) => {
      expect(count(model.moduleVariables(m))).toBe(vggGroupParams(DEFAULT_VGG, info.layer));
      expect(info.params).toBe(vggGroupParams(DEFAULT_VGG, info.layer));
    });
    expect(model.modules.map((i) => i.id)).toEqual([
      'C0.G0',
      'C0.G1',
      'C1.G0',
      'C1.G1',
      'C2.G0',
      'C2.G1',
      'C2.G2',
      'C2.G3',
      'C3.G0',
      'C3.G1',
      'C3.G2',
      'C3.G3',
    ]);
    const all = vggStepFlops(DEFAULT_VGG, 1, Array(12).fill(true));
    expect(all.optimizer).toBe(12 * count(model.allVariables()));
    model.dispose();
  });
});

describe('VGG mNTK evaluation FLOPs', () => {
  it('hand count: one conv layer, n = 2, R′ = 2', () => {
    const f = vggEvaluationFlops(one, 2, 2);
    // per row (N = 4): conv 144 + bias/ReLU/pool 22 + tap add 8, dense 8 + 2, objective 2k = 4
    expect(f.forward).toBe(4 * (174 + 14));
    // per row: objective 8, dense bias 4, dense input 8; ReLU + pool 2·14, tap add 2·8
    expect(f.backward).toBe(4 * (20 + 28 + 16));
    // P̃ᵀD per row: 2·S²·(9·cin + 1)·cout = 2·4·10·2
    expect(f.perSample).toBe(4 * 160);
    // 2 groups × 2 projections × (2·n²·P + n²), P = 10
    expect(f.gram).toBe(2 * 2 * (2 * 4 * 10 + 4));
    expect(f.eigen).toBe(2 * 9 * 8);
    expect(f.total).toBe(752 + 256 + 640 + 336 + 144);
  });

  it('the second layer adds its input gradient and bias add to the backward pass', () => {
    const f = vggEvaluationFlops(two, 1, 1, 'loss');
    // per row: objective (CE, 6·2 = 12) backward 24, dense bias 4, dense input 8;
    // layer 0 (4×4×2 = 32 pre-activations, pool output 2×2×2): ReLU 2·32 + pool 2·24 = 112,
    // tap add 2·32 = 64, no bias add (conv 0's output depends on no tap);
    // layer 1 (2×2×2 = 8, pool output 1×1×2): ReLU 2·8 + pool 2·6 = 28, tap add 16,
    // bias add 16, conv 1 input gradient 2·4·9·2·2 = 288
    expect(f.backward).toBe(24 + 4 + 8 + 112 + 64 + 28 + 16 + 16 + 288);
  });

  it('grows linearly in projections for forward, backward, per-sample and Gram parts', () => {
    const a = vggEvaluationFlops(DEFAULT_VGG, 16, 5);
    const b = vggEvaluationFlops(DEFAULT_VGG, 16, 10);
    expect(b.forward).toBe(2 * a.forward);
    expect(b.backward).toBe(2 * a.backward);
    expect(b.perSample).toBe(2 * a.perSample);
    expect(b.gram).toBe(2 * a.gram);
    expect(b.eigen).toBe(a.eigen);
  });
});

describe('VGG step-kernel evaluation FLOPs', () => {
  it('hand count: two conv layers, batch 2, n = 1, only C1.G0 then updated', () => {
    const f = vggStepEvaluationFlops(two, 2, 1, [false, false, true, false]);
    // tap adds per image: 4·4·2 + 2·2·2 = 40
    expect(f.forward).toBe(2 * 40);
    // The pass is the all-updated step's backward (per image 544, see above) with the tap adds
    // 2·40 and without conv 0's bias add 2·32; the step as charged has 80 per image.
    expect(f.backward).toBe(2 * (544 + 80 - 64) - 2 * 80);
    // P̃ᵀD for one image: 2·16·(9·1 + 1)·2 + 2·4·(9·2 + 1)·2
    expect(f.perSample).toBe(640 + 304);
    // per group 2·n²·P + n²: conv 0 P = 10, conv 1 P = 19, two groups each
    expect(f.gram).toBe(2 * (20 + 1) + 2 * (38 + 1));
    expect(f.eigen).toBe(4 * 9);
    expect(f.total).toBe(80 + 960 + 944 + 120 + 36);
  });

  it('with every group updated only the taps are added to the backward pass', () => {
    const f = vggStepEvaluationFlops(two, 3, 1, [true, true, true, true]);
    expect(f.backward).toBe(3 * (2 * 40 - 64));
  });

  it('the preset (batch 32, n = 16) evaluates for under 0.5 vanilla steps, all modules updated', () => {
    const all = Array<boolean>(12).fill(true);
    const step = vggStepFlops(DEFAULT_VGG, 32, all).total;
    const f = vggStepEvaluationFlops(DEFAULT_VGG, 32, 16, all);
    expect(f.total / step).toBeLessThan(0.5);
    // The probe kernels: R′ = 10 replicas of the 16 images through forward and backward.
    expect(vggEvaluationFlops(DEFAULT_VGG, 16, 10).total / step).toBeGreaterThan(5);
  });
});
