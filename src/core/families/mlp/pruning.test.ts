import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateToy2d } from '../../data/toy2d';
import { mlpStepFlops } from './flops';
import { Mlp, expandFeatures } from './model';
import { FusedAdam } from '../../optim/adam';
import { createRng } from '../../rng';
import { hasOutput } from '../../testing/kernels';
import { activeVariables, profileAdamStep } from '../../testing/training';
import { randomiseVariables } from '../../testing/weights';
import { testRng } from '../../testing/fake-rng';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const B = 32;

function batch(seed: number) {
  const rng = testRng(seed);
  const x = tf.tensor2d(
    Float32Array.from({ length: 2 * B }, () => 2 * rng.next() - 1),
    [B, 2],
  );
  const y = tf
    .oneHot(
      tf.tensor1d(
        Int32Array.from({ length: B }, () => rng.int(2)),
        'int32',
      ),
      2,
    )
    .toFloat() as tf.Tensor2D;
  return { x, y };
}

/** Kernels of one training step (forward, backward, FusedAdam) with neurons `on` updated. */
async function profileStep(model: Mlp, on: boolean[]) {
  const { x, y } = batch(3);
  const step = await profileAdamStep(model, on, () => model.loss(x, y));
  x.dispose();
  y.dispose();
  return step;
}

/** Default [8, 8] tanh MLP on (x, y): layer 0 has x̃ of width 3, layer 1 of width 9. */
const pattern = (l0: number[], l1: number[]) => [
  ...Array.from({ length: 8 }, (_, j) => l0.includes(j)),
  ...Array.from({ length: 8 }, (_, j) => l1.includes(j)),
];
const every = [0, 1, 2, 3, 4, 5, 6, 7];

describe('frozen neurons are pruned from what actually runs', () => {
  it('no weight-gradient matmul for a frozen group; FLOPs drop by exactly its weight gradient', async () => {
    const model = new Mlp({ classes: 2 }, testRng(1));
    const all = await profileStep(model, pattern(every, every));
    // Layer 0: neurons 1, 4, 6 updated, five frozen; layer 1: six updated, 2 and 5 frozen.
    const split = pattern([1, 4, 6], [0, 1, 3, 4, 6, 7]);
    const some = await profileStep(model, split);
    // All updated: one weight-gradient matmul per layer, X̃ᵀ·dZ → [3, 8] and [9, 8].
    expect(hasOutput(all.matmuls, 3, 8)).toBe(true);
    expect(hasOutput(all.matmuls, 9, 8)).toBe(true);
    // Split: the updated groups' [3, 3] and [9, 6] run; the frozen groups' [3, 5], [9, 2] do not.
    expect(hasOutput(some.matmuls, 3, 3)).toBe(true);
    expect(hasOutput(some.matmuls, 9, 6)).toBe(true);
    expect(hasOutput(some.matmuls, 3, 5)).toBe(false);
    expect(hasOutput(some.matmuls, 9, 2)).toBe(false);
    // Saved: five frozen neurons' X̃ᵀdz with x̃ of width 3, two with width 9.
    const saved = 5 * 2 * B * 3 + 2 * 2 * B * 9;
    expect(all.matmulFlops - some.matmulFlops).toBe(saved);
    // … which is what the analytic accounting says.
    const size = model.size;
    expect(
      mlpStepFlops(size, B, pattern(every, every)).weightGrad -
        mlpStepFlops(size, B, split).weightGrad,
    ).toBe(saved);
    // Executed matmul FLOPs match the formulas' matmul terms: forward 2B·3·8 + 2B·9·8 + 2B·8·2,
    // input gradients for layer 1's dX̃ (2B·8·9) and the output (2B·2·8), weight gradients
    // 2B·3·8 + 2B·9·8 + 2B·8·2 with everything updated.
    const fwd = 2 * B * 3 * 8 + 2 * B * 9 * 8 + 2 * B * 8 * 2;
    expect(all.matmulFlops).toBe(fwd + 2 * B * 8 * 9 + 2 * B * 2 * 8 + fwd);
    model.dispose();
  });

  it('freezing all of layer 0 also removes layer 1’s input-gradient matmul', async () => {
    const model = new Mlp({ classes: 2 }, testRng(2));
    const all = await profileStep(model, pattern(every, every));
    const top = await profileStep(model, pattern([], every));
    // Layer 0's weight gradients (8 · 2B·3) and layer 1's dX̃ = dZ·W₁ᵀ → [B, 9] (2B·8·9).
    expect(all.matmulFlops - top.matmulFlops).toBe(8 * 2 * B * 3 + 2 * B * 8 * 9);
    expect(hasOutput(top.matmuls, B, 9)).toBe(false);
    const f = (u: boolean[]) => mlpStepFlops(model.size, B, u);
    const a = f(pattern(every, every));
    const t = f(pattern([], every));
    expect(a.weightGrad - t.weightGrad + a.inputGrad - t.inputGrad).toBe(
      8 * 2 * B * 3 + 2 * B * 8 * 9 + 2 * B * 8,
    );
    model.dispose();
  });

  it('a split layer computes the same function and gradients as one group', async () => {
    const model = new Mlp(
      { classes: 3, hidden: [6, 5], activation: 'relu', features: ['x', 'y', 'xy'] },
      testRng(4),
    );
    randomiseVariables(model.allVariables(), 0.5, 50);
    const rng = testRng(9);
    const pts = Float32Array.from({ length: 2 * 10 }, () => 2 * rng.next() - 1);
    const x = tf.tensor2d(expandFeatures(pts, model.size.features), [10, 3]);
    const y = tf.tensor1d(
      Int32Array.from({ length: 10 }, () => rng.int(3)),
      'int32',
    );
    const on = model.modules.map((_, m) => m % 2 === 0);
    const vars = activeVariables(model, on);
    const run = () => {
      const logits = tf.tidy(() => model.forward(x));
      const { value, grads } = tf.variableGrads(() => model.loss(x, y), vars);
      const out = {
        logits: Array.from(logits.dataSync()),
        loss: value.dataSync()[0]!,
        g: vars.map((v) => Array.from(grads[v.name]!.dataSync())),
      };
      logits.dispose();
      value.dispose();
      Object.values(grads).forEach((t) => t.dispose());
      return out;
    };
    const ungrouped = run();
    const before = tf.memory().numTensors;
    model.setGroups(on);
    const grouped = run();
    expect(tf.memory().numTensors).toBe(before + 6); // per layer: frozen cache + 2 index tensors
    grouped.logits.forEach((v, i) => expect(v).toBeCloseTo(ungrouped.logits[i]!, 6));
    expect(grouped.loss).toBeCloseTo(ungrouped.loss, 6);
    grouped.g.forEach((g, k) => g.forEach((v, i) => expect(v).toBeCloseTo(ungrouped.g[k]![i]!, 6)));
    model.setGroups(model.modules.map(() => true));
    expect(tf.memory().numTensors).toBe(before);
    x.dispose();
    y.dispose();
    model.dispose();
  });
});

describe('the MLP trains on the cpu backend', () => {
  it('learns circles with all neurons, and with half of them frozen', async () => {
    const data = generateToy2d(
      'circles',
      { count: 400, noise: 0.05, testRatio: 0.5 },
      createRng(1),
    );
    const run = async (on: (m: number) => boolean) => {
      const model = new Mlp({ classes: 2, hidden: [8, 8] }, createRng(1).fork('init'));
      const updating = model.modules.map((_, m) => on(m));
      model.setGroups(updating);
      const vars = activeVariables(model, updating);
      const opt = new FusedAdam({ lr: 0.03, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
      opt.setActive(vars);
      const xTrain = tf.tensor2d(data.train.x, [200, 2]);
      const yTrain = tf.tensor1d(data.train.y, 'int32');
      const rng = createRng(2);
      for (let step = 0; step < 150; step++) {
        const idx = tf.tensor1d(
          Int32Array.from({ length: B }, () => rng.int(200)),
          'int32',
        );
        const xb = tf.gather(xTrain, idx) as tf.Tensor2D;
        const yb = tf.gather(yTrain, idx) as tf.Tensor1D;
        tf.tidy(() => {
          const { value, grads } = tf.variableGrads(() => model.loss(xb, yb), vars);
          opt.apply(vars.map((v) => grads[v.name]!));
          value.dispose();
        });
        tf.dispose([idx, xb, yb]);
      }
      const acc = tf.tidy(() => {
        const pred = model.forward(tf.tensor2d(data.test.x, [200, 2])).argMax(1);
        return pred.equal(tf.tensor1d(data.test.y, 'int32')).mean().dataSync()[0]!;
      });
      tf.dispose([xTrain, yTrain]);
      opt.dispose();
      model.dispose();
      return acc;
    };
    expect(await run(() => true)).toBeGreaterThan(0.95);
    expect(await run((m) => m % 2 === 0)).toBeGreaterThan(0.95);
  });
});
