import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { disposeGrads, expectSameGrads, relativeError } from '../../testing/kernels';
import { activeVariables, expectOnlyUpdatedMove, profileAdamStep } from '../../testing/training';
import { biasesOnly, randomiseVariables } from '../../testing/weights';
import { fastFilterGroupKernels, makeImageProbe } from './kernel';
import { vggStepFlops } from './flops';
import type { ConvImpl, VggSize } from './model';
import { DEFAULT_VGG, SmallVgg, resolveConvImpl, vggLayout } from './model';
import { testRng } from '../../testing/fake-rng';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * C0 1→8 @12 (2 groups), C1 8→8 @12 (2), pool; C2 8→16 @6 (4), C3 16→16 @6 (4), pool → 3·3·16.
 * Module indices: C0 0-1, C1 2-3, C2 4-7, C3 8-11. B = 3 keeps every matmul's output shape
 * distinct (im2col rows B·S² = 432 / 108 vs filter-gradient rows 9·cin = 9 / 72 / 144).
 */
const size: VggSize = {
  ...DEFAULT_VGG,
  channels: [8, 16],
  convsPerStage: 2,
  groupSize: 4,
  inputSize: 12,
};
const B = 3;

function batch(seed: number) {
  const rng = testRng(seed);
  const x = tf.tensor4d(
    Float32Array.from({ length: B * 144 }, () => rng.normal()),
    [B, 12, 12, 1],
  );
  const y = tf.tensor1d(
    Int32Array.from({ length: B }, () => rng.int(10)),
    'int32',
  );
  return { x, y };
}

/** Multiply-add FLOPs of the conv and matmul kernels that actually ran, by kind. */
function executedFlops(kernels: Awaited<ReturnType<typeof tf.profile>>['kernels']) {
  const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const out = { conv: 0, inputGrad: 0, filterGrad: 0, matmul: 0 };
  for (const k of kernels) {
    const o = k.outputShapes[0]!;
    const inp = k.inputShapes as number[][];
    if (k.name === 'Conv2D') {
      // inputs (x, filter [3, 3, ci, co]); output [N, S, S, co]: 2·N·S²·9·ci·co
      const f = inp[1]!;
      out.conv += 2 * prod(o) * f[0]! * f[1]! * f[2]!;
    } else if (k.name === 'Conv2DBackpropInput') {
      // inputs (dy, filter); output dx [N, S, S, ci]
      const f = inp[1]!;
      out.inputGrad += 2 * prod(o) * f[0]! * f[1]! * f[3]!;
    } else if (k.name === 'Conv2DBackpropFilter') {
      // inputs (x, dy [N, S, S, co]); output the filter gradient [3, 3, ci, co]
      const dy = inp[1]!;
      out.filterGrad += 2 * prod(dy) * o[0]! * o[1]! * o[2]!;
    } else if (k.name === 'BatchMatMul') {
      const a = inp[0]!;
      const m = o[o.length - 2]!;
      const K = (a[a.length - 2]! * a[a.length - 1]!) / m;
      out.matmul += 2 * prod(o) * K;
    }
  }
  return out;
}

/** Kernels of one training step (forward, backward, FusedAdam) with modules `on` updated. */
async function profileStep(model: SmallVgg, on: boolean[]) {
  const { x, y } = batch(3);
  const { kernels } = await profileAdamStep(model, on, () => model.loss(x, y));
  x.dispose();
  y.dispose();
  const filterGrads = kernels
    .filter((k) => k.name === 'Conv2DBackpropFilter')
    .map((k) => k.outputShapes[0]!.join('x'));
  const matmulShapes = kernels
    .filter((k) => k.name === 'BatchMatMul')
    .map((k) => k.outputShapes[0]!.join('x'));
  return {
    kernels: kernels.length,
    filterGrads,
    matmulShapes,
    flops: executedFlops(kernels),
  };
}

function freshModel(convImpl: ConvImpl = 'conv2d'): SmallVgg {
  const model = new SmallVgg(size, testRng(1), { convImpl });
  randomiseVariables(model.allVariables(), biasesOnly(0.1), 50);
  return model;
}

describe('regrouping updated vs frozen filter groups', () => {
  it('computes the same function and the same gradients as the all-groups layout, both conv implementations', () => {
    const before = tf.memory().numTensors;
    const model = freshModel('conv2d');
    const { x, y } = batch(9);
    const vars = model.allVariables();
    const reference = tf.tidy(() => model.forward(x, { allGroups: true }));
    const refGrads = tf.variableGrads(() => model.loss(x, y), vars);
    // Mixed patterns: permuted outputs in C0 and C2 (the next conv reads permuted inputs), and
    // in the second pattern a permuted last layer (the classifier's rows are permuted).
    for (const [impl, on] of [
      ['conv2d', [false, true, true, false, false, true, false, true, true, false, false, false]],
      ['conv2d', [true, false, false, true, true, true, false, true, false, false, true, false]],
      ['im2col', Array<boolean>(12).fill(true)],
      ['im2col', [false, true, true, false, false, true, false, true, true, false, false, false]],
      ['im2col', [true, false, false, true, true, true, false, true, false, false, true, false]],
    ] as const) {
      model.convImpl = impl;
      model.setGroups([...on]);
      const logits = tf.tidy(() => model.forward(x));
      expect(tf.tidy(() => logits.sub(reference).abs().max().dataSync()[0])).toBeLessThan(1e-5);
      logits.dispose();
      const active = activeVariables(model, on);
      expectSameGrads(
        tf.variableGrads(() => model.loss(x, y), active),
        refGrads,
        active,
      );
    }
    disposeGrads(refGrads);
    reference.dispose();
    x.dispose();
    y.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('frozen filter groups are pruned from what actually runs', () => {
  it('no filter gradient for the cached frozen filters; exactly their filter-gradient FLOPs saved', async () => {
    const model = freshModel();
    const all = Array<boolean>(12).fill(true);
    // C2: G0 updated, G1-G3 frozen (12 channels); C3: G0-G2 updated, G3 frozen (4 channels).
    const some = [...all];
    for (const m of [5, 6, 7, 11]) some[m] = false;
    const a = await profileStep(model, all);
    const s = await profileStep(model, some);
    // All updated: one filter gradient per conv layer, of the whole layer.
    expect(a.filterGrads.sort()).toEqual(['3x3x16x16', '3x3x1x8', '3x3x8x16', '3x3x8x8']);
    // Frozen parts [3,3,8,12] (C2) and [3,3,16,4] (C3) get none; the updated parts do.
    expect(s.filterGrads.sort()).toEqual(['3x3x16x12', '3x3x1x8', '3x3x8x4', '3x3x8x8']);
    // Forward and input-gradient work is unchanged (same total multiply-adds, split in two).
    expect(s.flops.conv).toBe(a.flops.conv);
    expect(s.flops.inputGrad).toBe(a.flops.inputGrad);
    expect(s.flops.matmul).toBe(a.flops.matmul);
    // Saved: exactly the frozen groups' filter gradients, 2·B·S²·9·cin·(frozen channels).
    const saved = 2 * B * 36 * 9 * 8 * 12 + 2 * B * 36 * 9 * 16 * 4;
    expect(a.flops.filterGrad - s.flops.filterGrad).toBe(saved);
    // …which is the analytic saving minus the frozen biases' reductions B·S²·(frozen channels).
    const fa = vggStepFlops(size, B, all);
    const fs = vggStepFlops(size, B, some);
    expect(fa.weightGrad - fs.weightGrad).toBe(saved + B * 36 * 16);
    console.log(
      `kernels per step (test VGG, batch ${B}): all updated ${a.kernels}, 4 of 12 groups frozen ${s.kernels}`,
    );
    model.dispose();
  });

  it('im2col: no filter-gradient matmul Pᵀ·dz for the cached frozen filters; exactly their FLOPs saved', async () => {
    const model = freshModel('im2col');
    const all = Array<boolean>(12).fill(true);
    const some = [...all];
    for (const m of [5, 6, 7, 11]) some[m] = false;
    const a = await profileStep(model, all);
    const s = await profileStep(model, some);
    expect(a.filterGrads).toEqual([]);
    // Filter gradients are the matmuls with 9·cin rows: [9, 8], [72, 8], [72, 16], [144, 16].
    const filterShapes = (shapes: string[]) =>
      shapes.filter((sh) => /^(9|72|144)x/.test(sh) && sh !== '144x10').sort();
    expect(filterShapes(a.matmulShapes)).toEqual(['144x16', '72x16', '72x8', '9x8']);
    // Frozen parts [72, 12] (C2) and [144, 4] (C3) get none; the updated parts do.
    expect(filterShapes(s.matmulShapes)).toEqual(['144x12', '72x4', '72x8', '9x8']);
    const saved = 2 * B * 36 * 9 * 8 * 12 + 2 * B * 36 * 9 * 16 * 4;
    expect(a.flops.matmul - s.flops.matmul).toBe(saved);
    console.log(
      `im2col kernels per step (test VGG, batch ${B}): all updated ${a.kernels}, 4 of 12 groups frozen ${s.kernels}`,
    );
    model.dispose();
  });

  it.each(['conv2d', 'im2col'] as const)(
    '%s: input gradients run down to the earliest layer with an updated group, as charged',
    async (impl) => {
      const model = freshModel(impl);
      const layout = vggLayout(size);
      const convInputGrad = (e: number) =>
        layout.convs.reduce(
          (acc, c, l) => acc + (l > e ? 2 * B * c.side ** 2 * 9 * c.cin * c.cout : 0),
          0,
        );
      const convForward = layout.convs.reduce(
        (acc, c) => acc + 2 * B * c.side ** 2 * 9 * c.cin * c.cout,
        0,
      );
      for (const [on, e] of [
        [Array<boolean>(12).fill(true), 0],
        [[false, false, true, false, ...Array<boolean>(8).fill(true)], 1],
        [[false, false, false, false, false, false, true, false, false, false, false, false], 2],
      ] as const) {
        const p = await profileStep(model, [...on]);
        expect(p.flops.conv).toBe(convForward);
        expect(p.flops.inputGrad).toBe(convInputGrad(e));
      }
      // Nothing in the convs updated: only the classifier's weight gradient runs.
      const head = await profileStep(model, Array<boolean>(12).fill(false));
      expect(head.filterGrads).toEqual([]);
      expect(head.flops.inputGrad).toBe(0);
      // Only the classifier's matmuls run: forward, and its weight gradient flatᵀ·dlogits.
      expect(head.matmulShapes.sort()).toEqual(['144x10', '3x10']);
      model.dispose();
    },
  );

  it('a step leaves the frozen groups bit-identical and moves the updated ones', () => {
    const model = freshModel('auto');
    const { x, y } = batch(5);
    const on = model.modules.map((_, m) => m % 2 === 0);
    expectOnlyUpdatedMove(model, on, () => model.loss(x, y));
    x.dispose();
    y.dispose();
    model.dispose();
  });
});

describe('on WASM, which has no Conv2DBackpropFilter kernel', () => {
  afterAll(async () => {
    await tf.setBackend('cpu');
  });

  it('trains through im2col and probes through conv2d, matching cpu', async () => {
    const on = [true, false, true, true, false, true, true, false, true, false, true, true];
    const { x, y } = batch(4);
    const probeBatch = {
      x: Float32Array.from(x.dataSync()),
      y: Int32Array.from(y.dataSync()),
      batch: B,
    };
    const run = async () => {
      const model = freshModel('auto');
      model.setGroups(on);
      const active = activeVariables(model, on);
      const xb = tf.tensor4d(probeBatch.x, [B, 12, 12, 1]);
      const yb = tf.tensor1d(probeBatch.y, 'int32');
      const info = await tf.profile(() => {
        tf.tidy(() => {
          tf.variableGrads(() => model.loss(xb, yb), active);
        });
      });
      const names = new Set(info.kernels.map((k) => k.name));
      const { value, grads } = tf.variableGrads(() => model.loss(xb, yb), active);
      const flat = Float32Array.from(
        tf.tidy(() => tf.concat(active.map((v) => grads[v.name]!.reshape([-1]))).dataSync()),
      );
      const loss = value.dataSync()[0]!;
      value.dispose();
      for (const t of Object.values(grads)) t.dispose();
      const kernel = await fastFilterGroupKernels(
        model,
        makeImageProbe(probeBatch, 10, 'trace', 4, testRng(1)),
      );
      xb.dispose();
      yb.dispose();
      model.dispose();
      return { loss, flat, kernel, names, impl: resolveConvImpl('auto') };
    };
    const cpu = await run();
    await tf.setBackend('wasm');
    const wasm = await run();
    expect(wasm.impl).toBe('im2col');
    expect(wasm.names.has('Conv2DBackpropFilter')).toBe(false);
    expect(Math.abs(wasm.loss - cpu.loss)).toBeLessThan(1e-5);
    expect(relativeError(cpu.flat, wasm.flat)).toBeLessThan(1e-4);
    expect(relativeError(cpu.kernel, wasm.kernel)).toBeLessThan(1e-4);
    x.dispose();
    y.dispose();
  });
});
