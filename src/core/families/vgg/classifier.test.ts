import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageBatch } from '../../data/fashion';
import { fastFilterGroupKernels, makeImageProbe, stepFilterGroupKernels } from './kernel';
import { oracleFilterGroupKernels } from './oracle';
import { vggBackboneParams, vggStepFlops, vggUnitGroupParams } from './flops';
import type { VggSize } from './model';
import { DEFAULT_VGG, SmallVgg } from './model';
import { testRng } from '../../testing/fake-rng';
import {
  disposeGrads,
  expectKernelsMatch,
  expectSameGrads,
  itReportsWorstError,
} from '../../testing/kernels';
import {
  activeVariables,
  expectOnlyUpdatedMove,
  expectStepGradients,
  profileAdamStep,
} from '../../testing/training';
import { biasesOnly, randomiseVariables } from '../../testing/weights';

/**
 * VGG's classifier stages as modules (`fc`): hidden dense stages after the convs, each cut into
 * unit groups of g units (kind `units`). Checked here: the grouped layout computes the plain
 * function and gradients, TF.js runs exactly the dense matmuls the FLOP formula charges (a
 * frozen stage's weight gradient and, with nothing under it trained, its input gradient do not
 * run), and the fast kernels (probe and step) match the float64 oracle.
 */
beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Convs [4] × 1 (2 groups of 2) on 8 × 8 → 4·4·4 = 64 features → fc 6 (3 groups) → 10. */
const size: VggSize = {
  ...DEFAULT_VGG,
  channels: [4],
  convsPerStage: 1,
  groupSize: 2,
  inputSize: 8,
  fc: [6],
};
/** Module order: C0.G0, C0.G1, F0.G0, F0.G1, F0.G2. */
const M = 5;
const B = 5;

function images(n: number, seed: number): ImageBatch {
  const rng = testRng(seed);
  return {
    x: Float32Array.from({ length: n * 64 }, () => rng.normal()),
    y: Int32Array.from({ length: n }, () => rng.int(10)),
    batch: n,
  };
}

function tensors(b: ImageBatch) {
  return {
    x: tf.tensor4d(b.x, [b.batch, 8, 8, 1]),
    y: tf.tensor1d(b.y, 'int32'),
  };
}

function model(seed = 1): SmallVgg {
  const m = new SmallVgg(size, testRng(seed), { convImpl: 'conv2d' });
  randomiseVariables(m.allVariables(), biasesOnly(0.2), 60);
  return m;
}

describe('classifier stages as modules', () => {
  it('counts its parameters as the model holds them', () => {
    const m = model();
    const count = (vs: tf.Variable[]) => vs.reduce((a, v) => a + v.size, 0);
    expect(m.modules.map((x) => `${x.id}:${x.kind}:${x.layer}`)).toEqual([
      'C0.G0:filters:0',
      'C0.G1:filters:0',
      'F0.G0:units:1',
      'F0.G1:units:1',
      'F0.G2:units:1',
    ]);
    // A unit group: 64 inputs × 2 units + 2 biases; the output layer 6 × 10 + 10.
    expect(count(m.moduleVariables(3))).toBe(130);
    expect(vggUnitGroupParams(size, 0)).toBe(130);
    expect(count(m.backboneVariables())).toBe(70);
    expect(vggBackboneParams(size)).toBe(70);
    expect(m.modules.map((x) => x.params)).toEqual(
      m.modules.map((_, i) => count(m.moduleVariables(i))),
    );
    m.dispose();
  });

  it('hand-counted step FLOPs: backprop stops under the lowest updated stage', () => {
    // Per sample. Conv: 2·64·9·1·4 = 4,608; bias + ReLU 2·64·4 = 512, pool 3·16·4 = 192.
    // Stage: 2·64·6 = 768, bias + ReLU 12. Output: 2·6·10 = 120, bias 10, CE 60.
    const forward = 4608 + 512 + 192 + 768 + 12 + 120 + 10 + 60;
    const all = vggStepFlops(size, 1, Array<boolean>(M).fill(true));
    expect(all.forward).toBe(forward);
    // Everything updated: conv 0's element-wise backward (no conv input gradient: nothing under
    // it), the stage's element-wise backward and input gradient, the output layer's and the loss.
    expect(all.inputGrad).toBe(2 * (512 + 192) + 2 * 12 + 768 + 120 + 2 * (10 + 60));
    // Only the stage trains (convs frozen): no input gradient into the convs, so the stage's
    // own input gradient (768) and everything under it drop.
    const stage = vggStepFlops(size, 1, [false, false, true, true, true]);
    expect(stage.inputGrad).toBe(2 * 12 + 120 + 2 * (10 + 60));
    expect(stage.weightGrad).toBe(3 * (2 * 64 * 2 + 2) + 120 + 10);
    // Everything frozen: the output layer trains alone; nothing under it needs a gradient.
    const none = vggStepFlops(size, 1, Array<boolean>(M).fill(false));
    expect(none.inputGrad).toBe(2 * (10 + 60));
    expect(none.weightGrad).toBe(130);
    expect(none.optimizer).toBe(12 * 70);
    // The convs train, the stage is frozen: its input gradient runs, its weight gradient not.
    const convs = vggStepFlops(size, 1, [true, true, false, false, false]);
    expect(convs.inputGrad).toBe(all.inputGrad);
    expect(all.weightGrad - convs.weightGrad).toBe(3 * (2 * 64 * 2 + 2));
    // Split stage with the convs frozen: the updated part's weights only, no input gradient.
    const split = vggStepFlops(size, 1, [false, false, true, false, true]);
    expect(split.inputGrad).toBe(stage.inputGrad);
    expect(split.weightGrad).toBe(2 * (2 * 64 * 2 + 2) + 130);
    // Split stage with a conv group updated: the parts' input gradients are joined (+64).
    const joined = vggStepFlops(size, 1, [true, false, true, false, true]);
    expect(joined.inputGrad).toBe(all.inputGrad + 64);
  });

  it('regrouped, computes the all-groups function and gradients; a frozen stage does not move', () => {
    const before = tf.memory().numTensors;
    const m = model(2);
    const { x, y } = tensors(images(B, 3));
    const vars = m.allVariables();
    const reference = tf.tidy(() => m.forward(x, { allGroups: true }));
    const refGrads = tf.variableGrads(() => m.loss(x, y), vars);
    // Permuted conv output (C0.G0 frozen, C0.G1 updated) read by a split, permuted stage.
    for (const on of [
      [false, true, false, true, true],
      [true, false, true, false, true],
      [false, false, false, true, false],
      [true, true, false, false, false],
    ]) {
      m.setGroups(on);
      const logits = tf.tidy(() => m.forward(x));
      expect(tf.tidy(() => logits.sub(reference).abs().max().dataSync()[0])).toBeLessThan(1e-5);
      logits.dispose();
      const active = activeVariables(m, on);
      expectSameGrads(
        tf.variableGrads(() => m.loss(x, y), active),
        refGrads,
        active,
      );
    }
    disposeGrads(refGrads);
    reference.dispose();
    expectOnlyUpdatedMove(m, [false, true, false, true, false], () => m.loss(x, y));
    tf.dispose([x, y]);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('runs exactly the dense matmuls the formula charges (tf.profile)', async () => {
    const m = model(4);
    const { x, y } = tensors(images(B, 5));
    // Dense matmuls of a step: the stage [B, 64]·[64, 6] and the output [B, 6]·[6, 10] forward;
    // their input and weight gradients where TF.js's tape needs them. conv2d: no other matmul.
    const [F, w, k] = [64, 6, 10];
    const fwd = 2 * B * F * w + 2 * B * w * k;
    const cases: [string, boolean[], number][] = [
      ['all updated', Array<boolean>(M).fill(true), 3 * fwd],
      // The stage trains, the convs do not: no stage input gradient.
      [
        'stage only',
        [false, false, true, true, true],
        fwd + 2 * B * w * k + 2 * B * F * w + 2 * B * w * k,
      ],
      // Everything frozen: the output layer's weight gradient only.
      ['everything frozen', Array<boolean>(M).fill(false), fwd + 2 * B * w * k],
      // Convs updated, stage frozen: its input gradient (through the cached weights), no weights.
      [
        'stage frozen',
        [true, true, false, false, false],
        fwd + 2 * B * F * w + 2 * (2 * B * w * k),
      ],
      // One unit group of three updated, convs frozen: its weight gradient only.
      [
        'one unit group',
        [false, false, false, true, false],
        fwd + 2 * B * F * 2 + 2 * (2 * B * w * k),
      ],
    ];
    for (const [name, on, expected] of cases) {
      const { kernels } = await profileAdamStep(m, on, () => m.loss(x, y));
      const dense = kernels
        .filter((kk) => kk.name === 'BatchMatMul')
        .reduce((a, kk) => {
          const o = kk.outputShapes[0]!;
          const a0 = kk.inputShapes[0] as number[];
          const rows = o[o.length - 2]!;
          const inner = (a0[a0.length - 2]! * a0[a0.length - 1]!) / rows;
          return a + 2 * o.reduce((p, q) => p * q, 1) * inner;
        }, 0);
      expect(dense, name).toBe(expected);
      // The formula's dense part agrees: its input and weight gradients minus the convs'.
      const f = vggStepFlops(size, B, on);
      expect(f.forward).toBe(vggStepFlops(size, B, Array<boolean>(M).fill(true)).forward);
    }
    tf.dispose([x, y]);
    m.dispose();
  });
});

/** 1e-4 relative to a module's largest entry, as every kernel-vs-oracle test (kernel.test.ts). */
const TOL = 1e-4;
let worst = 0;

describe('the classifier stages’ kernels vs the float64 oracle', () => {
  for (const kernel of ['trace', 'loss'] as const) {
    it(`probe kernel (${kernel}), n = 4`, async () => {
      const before = tf.memory().numTensors;
      const m = model(6);
      const probe = makeImageProbe(images(4, 7), 10, kernel, 2, testRng(8));
      const fast = await fastFilterGroupKernels(m, probe);
      const oracle = oracleFilterGroupKernels(m, probe);
      worst = Math.max(worst, expectKernelsMatch(fast, oracle, M, 4, TOL).worst);
      m.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('step kernel (batch 5, n = 3) and its gradients', async () => {
    const before = tf.memory().numTensors;
    const m = model(9);
    const batch = images(B, 10);
    const { x, y } = tensors(batch);
    m.setGroups(m.modules.map(() => true));
    const ref = tf.variableGrads(() => m.loss(x, y), m.allVariables());
    const step = await stepFilterGroupKernels(m, x, y, 3);
    const first = { x: batch.x.slice(0, 3 * 64), y: batch.y.slice(0, 3), batch: 3 };
    const oracle = oracleFilterGroupKernels(m, makeImageProbe(first, 10, 'loss', 1, testRng(1)));
    worst = Math.max(worst, expectKernelsMatch(step.kernels, oracle, M, 3, TOL).worst);
    // Its loss and gradients are the plain step's, all updated and with some frozen.
    expectStepGradients(m, step, ref, () => m.loss(x, y));
    step.loss.dispose();
    step.dispose();
    tf.dispose([x, y, ref.value, Object.values(ref.grads)]);
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  itReportsWorstError(
    () => worst,
    TOL,
    (line) => console.log(`classifier stages: ${line}`),
  );
});
