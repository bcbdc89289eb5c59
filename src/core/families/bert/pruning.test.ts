import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TinyBert } from './model';
import { sampleLosses } from '../model';
import { FusedAdam } from '../../optim/adam';
import { disposeGrads, expectSameGrads, hasOutput } from '../../testing/kernels';
import { activeVariables, expectOnlyUpdatedMove, profileAdamStep } from '../../testing/training';
import { testRng } from '../../testing/fake-rng';
import { randomiseVariables } from '../../testing/weights';
import { bertStepFlops, bertStepLedger } from './flops';
import { ledgerMatmuls } from '../transformer/flops';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

const size = { layers: 1, heads: 4, dModel: 16, dFF: 32, seqLen: 8, vocab: 60 };
const d = 16;
const dh = 4;

function batchTensors() {
  const rng = testRng(3);
  const B = 4;
  const tokens = tf.tensor2d(
    Array.from({ length: B * 8 }, () => 4 + rng.int(56)),
    [B, 8],
    'int32',
  );
  const positions = tf.tensor1d([1, 9, 17, 25], 'int32');
  const oneHot = tf.oneHot(tf.tensor1d([5, 6, 7, 8], 'int32'), 60).toFloat() as tf.Tensor2D;
  return { tokens, positions, oneHot };
}

/** Kernels of one training step (forward, backward, Adam) with heads `on` updated. */
async function profileStep(model: TinyBert, on: boolean[]) {
  const { tokens, positions, oneHot } = batchTensors();
  const step = await profileAdamStep(
    model,
    on,
    () => sampleLosses(model.forward({ tokens, positions }), oneHot).mean() as tf.Scalar,
  );
  tokens.dispose();
  positions.dispose();
  oneHot.dispose();
  return step;
}

describe('frozen heads are pruned from what actually runs', () => {
  it('no weight-gradient kernel for frozen heads, fewer executed FLOPs', async () => {
    const model = new TinyBert(size, testRng(1));
    const all = await profileStep(model, [true, true, true, true]);
    const one = await profileStep(model, [true, false, false, false]);
    // All heads updated: one weight-gradient matmul for the fused q|k|v of 4 heads,
    // X̃ᵀ·D → [d+1, 4·3·d_h], and one for the output rows ctxᵀ·D → [4·d_h, d].
    expect(hasOutput(all.matmuls, d + 1, 4 * 3 * dh)).toBe(true);
    expect(hasOutput(all.matmuls, 4 * dh, d)).toBe(true);
    // One head updated, three frozen: the updated head's [d+1, 3·d_h] and [d_h, d] gradients
    // run; the frozen group's [d+1, 3·3·d_h] and [3·d_h, d] gradients do not.
    expect(hasOutput(one.matmuls, d + 1, 3 * dh)).toBe(true);
    expect(hasOutput(one.matmuls, dh, d)).toBe(true);
    expect(hasOutput(one.matmuls, d + 1, 3 * 3 * dh)).toBe(false);
    expect(hasOutput(one.matmuls, 3 * dh, d)).toBe(false);
    // Saved: the frozen heads' weight gradients, 2·N·(d+1)·3·3·d_h + 2·N·3·d_h·d, N = 32 tokens.
    const N = 32;
    expect(all.matmulFlops - one.matmulFlops).toBe(2 * N * (d + 1) * 9 * dh + 2 * N * 3 * dh * d);
    model.dispose();
  });
});

describe('a frozen bottom stops backprop (modules heads, ffn, embed)', () => {
  const size2 = { layers: 2, heads: 4, dModel: 16, dFF: 24, seqLen: 8, vocab: 60 };
  const every = { ffn: true, embed: true };
  const [N, f, V] = [32, 24, 60];
  const T4 = Array<boolean>(4).fill(true);
  const F4 = Array<boolean>(4).fill(false);
  /** Module order: L0.H0–3, L1.H0–3, L0.F, L1.F, E. */
  const patterns: [string, boolean[]][] = [
    ['all updated', Array<boolean>(11).fill(true)],
    ['embeddings and layer 0 frozen', [...F4, ...T4, false, true, false]],
    [
      'embeddings frozen, one layer-0 head updated',
      [true, false, false, false, ...T4, true, true, false],
    ],
    ['everything frozen', Array<boolean>(11).fill(false)],
  ];
  const count = (ks: { outputShapes: number[][] }[], r: number, c: number) =>
    ks.filter((k) => hasOutput([k], r, c)).length;

  it('runs exactly the analytic matmuls: no embedding, decoder or layer-0 input gradient', async () => {
    const model = new TinyBert(size2, testRng(1), every);
    const runs = [];
    for (const [name, on] of patterns) {
      const step = await profileStep(model, on);
      // Every matmul that runs is charged, and nothing else: forward, input gradients down to
      // the lowest trained parameter, weight gradients of what trains.
      expect(step.matmulFlops, name).toBe(
        ledgerMatmuls(bertStepLedger(size2, 4, on, every).ledger),
      );
      runs.push({ name, on, step });
    }
    const [all, bottom, mixed, none] = runs.map((r) => r.step);
    const scatter = (ks: { name: string }[]) => ks.filter((k) => k.name === 'UnsortedSegmentSum');
    // The embeddings train: the token rows' scatter-add and the tied decoder's [V, d] gradient.
    expect(scatter(all!.kernels).length).toBeGreaterThan(scatter(bottom!.kernels).length);
    expect(count(all!.matmuls, V, d)).toBe(1);
    for (const r of [bottom, mixed, none]) expect(count(r!.matmuls, V, d)).toBe(0);
    // The q|k|v input gradient [N, d+1]: both layers with the embeddings trained, layer 1 only
    // without (whether layer 0's heads train or not).
    expect(count(all!.matmuls, N, d + 1)).toBe(2);
    for (const r of [bottom, mixed, none]) expect(count(r!.matmuls, N, d + 1)).toBe(1);
    // A frozen FFN block: no W1 [d, dFF] or W2 [dFF, d] gradient (W2 runs unfused then).
    expect([count(all!.matmuls, d, f), count(all!.matmuls, f, d)]).toEqual([2, 2]);
    expect([count(bottom!.matmuls, d, f), count(bottom!.matmuls, f, d)]).toEqual([1, 1]);
    expect([count(none!.matmuls, d, f), count(none!.matmuls, f, d)]).toEqual([0, 0]);
    // Fewer kernels run, and fewer matmul FLOPs, the more of the bottom is frozen.
    expect(bottom!.kernels.length).toBeLessThan(all!.kernels.length);
    expect(none!.kernels.length).toBeLessThan(bottom!.kernels.length);
    expect(bottom!.matmulFlops).toBeLessThan(all!.matmulFlops);
    const share = (on: boolean[]) =>
      bertStepFlops(size2, 4, on, every).total / bertStepFlops(size2, 4, patterns[0]![1]).total;
    console.log(
      `test BERT (2 layers, batch 4), kernels per step / matmul FLOPs / analytic FLOPs vs vanilla: ${runs
        .map(
          (r) =>
            `${r.name} ${r.step.kernels.length} / ${r.step.matmulFlops} / ${(100 * share(r.on)).toFixed(1)} %`,
        )
        .join('; ')}`,
    );
    model.dispose();
  });

  it('with the shared parts under the modules, backprop stops above a frozen layer 0', async () => {
    const whole = { ...every, shared: true };
    const model = new TinyBert(size2, testRng(1), whole);
    const plain = new TinyBert(size2, testRng(1), every);
    const runs = [];
    for (const [name, on] of patterns) {
      const step = await profileStep(model, on);
      expect(step.matmulFlops, name).toBe(
        ledgerMatmuls(bertStepLedger(size2, 4, on, whole).ledger),
      );
      runs.push(step);
    }
    const [all, bottom, mixed, none] = runs;
    const plainBottom = await profileStep(plain, patterns[1]![1]);
    const plainNone = await profileStep(plain, patterns[3]![1]);
    const BM = 4; // masked positions: one per sequence
    const plainAll = await profileStep(plain, patterns[0]![1]);
    // All updated: the same matmuls as without `shared`.
    expect(all!.matmulFlops).toBe(plainAll.matmulFlops);
    // Layer 0 and the embeddings frozen: layer 0's FFN runs no input gradient now (its
    // LayerNorms no longer train), so one dh·W1ᵀ [N, d] and one dy·W2ᵀ [N, f] fewer.
    expect(count(plainBottom.matmuls, N, d) - count(bottom!.matmuls, N, d)).toBe(1);
    expect(count(plainBottom.matmuls, N, f) - count(bottom!.matmuls, N, f)).toBe(1);
    expect(bottom!.kernels.length).toBeLessThan(plainBottom.kernels.length);
    // A layer-0 head updated: its layer's backward runs again.
    expect(mixed!.matmulFlops).toBeGreaterThan(bottom!.matmulFlops);
    // Everything frozen: only the forward's [N, d] (out-projection, W2) and [N, f] (W1) matmuls
    // per layer, no q|k|v input gradient [N, d+1]; of the MLM head's [BM, d] outputs the forward
    // dense and the decoder's input gradient (for the head's own weights), not the dense's input
    // gradient, which runs without `shared` (the layers' norms train there).
    expect([count(none!.matmuls, N, d), count(none!.matmuls, N, f)]).toEqual([4, 2]);
    expect(count(none!.matmuls, N, d + 1)).toBe(0);
    expect(count(none!.matmuls, BM, d)).toBe(2);
    expect(count(plainNone.matmuls, BM, d)).toBe(3);
    expect(none!.kernels.length).toBeLessThan(plainNone.kernels.length);
    console.log(
      `test BERT (2 layers, batch 4), kernels / matmul FLOPs per step, shared vs backbone norms: ${[
        ['layer 0 and embeddings frozen', bottom!, plainBottom],
        ['everything frozen', none!, plainNone],
      ]
        .map(
          ([name, a, b]) =>
            `${name as string} ${(a as typeof plainAll).kernels.length} / ${(a as typeof plainAll).matmulFlops} vs ${(b as typeof plainAll).kernels.length} / ${(b as typeof plainAll).matmulFlops}`,
        )
        .join('; ')}`,
    );
    model.dispose();
    plain.dispose();
  });

  it('computes the same gradients for what trains, and moves only that', () => {
    const before = tf.memory().numTensors;
    const model = new TinyBert(size2, testRng(2), every);
    randomiseVariables(model.allVariables(), 0.2, 30);
    const { tokens, positions, oneHot } = tf.tidy(batchTensors);
    const loss = () =>
      sampleLosses(model.forward({ tokens, positions }), oneHot).mean() as tf.Scalar;
    const ref = tf.variableGrads(loss, model.allVariables());
    for (const [, on] of patterns.slice(1)) {
      model.setGroups(on);
      const active = activeVariables(model, on);
      expectSameGrads(tf.variableGrads(loss, active), ref, active);
    }
    disposeGrads(ref);
    expectOnlyUpdatedMove(model, patterns[2]![1], loss);
    for (const t of [tokens, positions, oneHot]) t.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('with the shared parts: the same gradients, and a frozen layer’s bias and norms stay', () => {
    const before = tf.memory().numTensors;
    const model = new TinyBert(size2, testRng(2), { ...every, shared: true });
    randomiseVariables(model.allVariables(), 0.2, 30);
    const { tokens, positions, oneHot } = tf.tidy(batchTensors);
    const loss = () =>
      sampleLosses(model.forward({ tokens, positions }), oneHot).mean() as tf.Scalar;
    const ref = tf.variableGrads(loss, model.allVariables());
    for (const [name, on] of patterns.slice(1)) {
      model.setGroups(on);
      const active = activeVariables(model, on);
      // Layer 0's attention bias and norm train iff one of its heads is updated.
      expect(
        active.some((v) => v.name.includes('/L0.ln1g#')),
        name,
      ).toBe(on.slice(0, 4).some(Boolean));
      expectSameGrads(tf.variableGrads(loss, active), ref, active);
    }
    disposeGrads(ref);
    // Embeddings and layer 0 frozen: L0's bo, ln1 and ln2 do not move, L1's do.
    expectOnlyUpdatedMove(model, patterns[1]![1], loss);
    for (const t of [tokens, positions, oneHot]) t.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('FusedAdam', () => {
  it('matches tf.train.adam on a fixed variable list', async () => {
    const make = (seed: number) => [
      tf.variable(tf.randomNormal([3, 4], 0, 1, 'float32', seed)),
      tf.variable(tf.randomNormal([5], 0, 1, 'float32', seed + 1)),
    ];
    const a = make(1);
    const b = make(1);
    const ref = tf.train.adam(0.01, 0.9, 0.999, 1e-8);
    const mine = new FusedAdam({ lr: 0.01, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    mine.setActive(b);
    const loss = (vs: tf.Variable[]) => () =>
      vs[0]!
        .square()
        .sum()
        .add(vs[1]!.sin().sum())
        .add(vs[0]!.sum().mul(vs[1]!.sum())) as tf.Scalar;
    for (let i = 0; i < 25; i++) {
      ref.minimize(loss(a), false, a);
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(loss(b), b);
        mine.apply(b.map((v) => grads[v.name]!));
        value.dispose();
      });
    }
    // Same algorithm in float32; TF.js folds the bias correction differently, so agreement is
    // to float32 rounding accumulated over 25 steps (≈ 1e-6), not bit-exact.
    for (let i = 0; i < 2; i++) {
      const x = await a[i]!.data();
      const y = await b[i]!.data();
      x.forEach((v, j) => expect(Math.abs(v - y[j]!)).toBeLessThan(1e-5));
    }
    mine.dispose();
    ref.dispose();
    [...a, ...b].forEach((v) => v.dispose());
  });

  it('keeps a frozen variable’s moments and step count, and resumes them when thawed', async () => {
    const v1 = tf.variable(tf.tensor1d([1, 2, 3]));
    const v2 = tf.variable(tf.tensor1d([-1, 0.5]));
    const opt = new FusedAdam({ lr: 0.1, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    const step = (vs: tf.Variable[]) =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => v1.square().sum().add(v2.square().sum()) as tf.Scalar,
          vs,
        );
        opt.apply(vs.map((v) => grads[v.name]!));
        value.dispose();
      });
    opt.setActive([v1, v2]);
    step([v1, v2]);
    step([v1, v2]);
    const frozen = await opt.momentsOf(v2.name);
    const w2 = Array.from(await v2.data());
    opt.setActive([v1]);
    for (let i = 0; i < 5; i++) step([v1]);
    const during = await opt.momentsOf(v2.name);
    expect(Array.from(during.m)).toEqual(Array.from(frozen.m));
    expect(Array.from(during.v)).toEqual(Array.from(frozen.v));
    expect(during.t).toBe(2);
    expect(Array.from(await v2.data())).toEqual(w2);
    expect(opt.stepsOf(v1.name)).toBe(7);
    opt.setActive([v1, v2]);
    const thawed = await opt.momentsOf(v2.name);
    expect(Array.from(thawed.m)).toEqual(Array.from(frozen.m));
    step([v1, v2]);
    expect(opt.stepsOf(v2.name)).toBe(3);
    // The third update of v2 uses its own bias correction (t = 3), as if never frozen.
    const after = await opt.momentsOf(v2.name);
    const g = w2.map((w) => 2 * w);
    after.m.forEach((m, j) => expect(m).toBeCloseTo(0.9 * frozen.m[j]! + 0.1 * g[j]!, 6));
    opt.dispose();
    v1.dispose();
    v2.dispose();
  });
});
