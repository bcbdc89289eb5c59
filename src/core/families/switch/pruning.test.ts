import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { switchBackboneParams, switchStepFlops, switchStepLedger } from './flops';
import { embedParams, ledgerMatmuls } from '../transformer/flops';
import { sampleLosses } from '../model';
import { TinySwitch } from './model';
import { disposeGrads, expectSameGrads } from '../../testing/kernels';
import { activeVariables, expectOnlyUpdatedMove, profileAdamStep } from '../../testing/training';
import { FusedAdam } from '../../optim/adam';
import { lnGainsNearOne, randomiseVariables } from '../../testing/weights';
import { testRng } from '../../testing/fake-rng';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** 1 layer, 2 heads (d_h = 8), 4 experts; B = 4 sequences of 8: N = 32 tokens, C = 10, S = 40. */
const size = {
  layers: 1,
  heads: 2,
  dModel: 16,
  dFF: 24,
  seqLen: 8,
  vocab: 60,
  experts: 4,
  capacityFactor: 1.25,
};
const B = 4;
const N = 32;
const C = 10;
const S = 40;
const d = 16;
const f = 24;
const dh = 8;
const BM = 4;
const V = 60;
const E = 4;

function freshModel(): TinySwitch {
  const m = new TinySwitch(size, testRng(1));
  randomiseVariables(m.allVariables(), lnGainsNearOne(0.2), 50);
  return m;
}

/** B sequences of 8 tokens with `perSeq` predicted positions each (1 = maskCount(8)). */
function batchTensors(perSeq = 1) {
  return tf.tidy(() => {
    const rng = testRng(3);
    const tokens = tf.tensor2d(
      Array.from({ length: B * 8 }, () => 4 + rng.int(56)),
      [B, 8],
      'int32',
    ) as tf.Tensor2D;
    const pos = Array.from(
      { length: B * perSeq },
      (_, i) => Math.floor(i / perSeq) * 8 + 1 + (i % perSeq),
    );
    const positions = tf.tensor1d(pos, 'int32') as tf.Tensor1D;
    const targets = tf.tensor1d(
      pos.map((p) => 5 + (p % 50)),
      'int32',
    );
    const oneHot = tf.oneHot(targets, V).toFloat() as tf.Tensor2D;
    return { tokens, positions, oneHot };
  });
}

const lossOf = (m: TinySwitch, t: ReturnType<typeof batchTensors>) => () => {
  const { logits, aux } = m.forward({ tokens: t.tokens, positions: t.positions });
  return sampleLosses(logits, t.oneHot).mean().add(aux) as tf.Scalar;
};

/** Kernels of one training step (forward, backward, FusedAdam) with modules `on` updated. */
async function profileStep(model: TinySwitch, on: boolean[]) {
  const t = batchTensors();
  const { kernels, matmuls, matmulFlops } = await profileAdamStep(model, on, lossOf(model, t));
  for (const x of Object.values(t)) x.dispose();
  return { kernels: kernels.length, matmuls, matmulFlops };
}

const shapes = (ks: { outputShapes: number[][] }[]) => ks.map((k) => k.outputShapes[0]!.join('x'));

/** Module order: heads L0.H0, L0.H1, then experts L0.E0 … L0.E3. */
const pattern = (heads: boolean[], experts: boolean[]) => [...heads, ...experts];

describe('regrouping updated vs frozen experts', () => {
  it('computes the same function and the same gradients as the all-modules layout', () => {
    const before = tf.memory().numTensors;
    const model = freshModel();
    const t = batchTensors();
    const vars = model.allVariables();
    const ref = tf.variableGrads(lossOf(model, t), vars);
    for (const on of [
      pattern([true, false], [false, true, false, true]),
      pattern([false, true], [true, false, false, false]),
      pattern([true, true], [false, false, false, false]),
    ]) {
      model.setGroups(on);
      const active = activeVariables(model, on);
      expectSameGrads(tf.variableGrads(lossOf(model, t), active), ref, active);
    }
    disposeGrads(ref);
    for (const x of Object.values(t)) x.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('frozen experts are pruned from what actually runs', () => {
  it('no weight-gradient matmul for frozen experts; executed matmul FLOPs match the accounting', async () => {
    const model = freshModel();
    const all = pattern([true, true], [true, true, true, true]);
    const some = pattern([true, true], [false, true, false, false]);
    const a = await profileStep(model, all);
    const s = await profileStep(model, some);
    // All updated: one batched weight gradient per FFN matrix over the 4 stacked experts,
    // X̃ᵀ·D_h → [4, d+1, dFF] and Ãᵀ·D_y → [4, dFF+1, d].
    expect(shapes(a.matmuls)).toContain(`4x${d + 1}x${f}`);
    expect(shapes(a.matmuls)).toContain(`4x${f + 1}x${d}`);
    // E1 updated, E0/E2/E3 frozen (cached, not variables): only E1's gradients run.
    expect(shapes(s.matmuls)).toContain(`1x${d + 1}x${f}`);
    expect(shapes(s.matmuls)).toContain(`1x${f + 1}x${d}`);
    for (const g of [3, 4]) {
      expect(shapes(s.matmuls)).not.toContain(`${g}x${d + 1}x${f}`);
      expect(shapes(s.matmuls)).not.toContain(`${g}x${f + 1}x${d}`);
    }
    // Saved: exactly the three frozen experts' weight gradients on their C = 10 slots.
    const perExpert = 2 * C * (d + 1) * f + 2 * C * (f + 1) * d;
    expect(a.matmulFlops - s.matmulFlops).toBe(3 * perExpert);
    const fa = switchStepFlops(size, B, all);
    const fs = switchStepFlops(size, B, some);
    expect(fa.weightGrad - fs.weightGrad).toBe(3 * perExpert);
    // And every matmul that runs is charged: forward, input gradients (attention's two
    // activation operands both), weight gradients of the updated parameters.
    const forward =
      2 * N * (d + 1) * 3 * d +
      2 * 2 * B * 2 * 8 * 8 * dh +
      2 * N * d * d +
      2 * N * d * E +
      2 * S * (d + 1) * f +
      2 * S * (f + 1) * d +
      2 * BM * d * d +
      2 * BM * d * V;
    const input = forward + 2 * 2 * B * 2 * 8 * 8 * dh;
    const weight = (experts: number) =>
      2 * N * (d + 1) * 3 * d +
      2 * N * d * d +
      2 * N * d * E +
      experts * perExpert +
      2 * BM * d * d +
      2 * BM * d * V;
    expect(a.matmulFlops).toBe(forward + input + weight(4));
    expect(s.matmulFlops).toBe(forward + input + weight(1));
    console.log(
      `kernels per step (test Switch, 1 layer, batch ${B}): all updated ${a.kernels}, 3 of 4 experts frozen ${s.kernels}`,
    );
    model.dispose();
  });

  it('a step leaves frozen experts bit-identical and moves the updated ones', () => {
    const model = freshModel();
    const on = pattern([true, false], [true, false, true, false]);
    // One layer: only predicted tokens reach the loss; predict 6 of 8 so every expert is used.
    const t = batchTensors(6);
    expectOnlyUpdatedMove(model, on, lossOf(model, t));
    for (const x of Object.values(t)) x.dispose();
    model.dispose();
  });
});

describe('a frozen bottom stops backprop (modules heads, embed)', () => {
  const size2 = { ...size, layers: 2 };
  const every = { ffn: false, embed: true };
  const T2 = [true, true];
  const F2 = [false, false];
  const T4 = [...T2, ...T2];
  const F4 = [...F2, ...F2];
  /** Module order: L0.H0–1, L1.H0–1, L0.E0–3, L1.E0–3, E. */
  const patterns: [string, boolean[]][] = [
    ['all updated', [...T4, ...T4, ...T4, true]],
    ['embeddings and layer 0 frozen', [...F2, ...T2, ...F4, ...T4, false]],
    [
      'embeddings frozen, layer 0 mixed',
      [true, false, ...T2, true, false, true, false, ...T4, false],
    ],
    ['everything frozen', [...F4, ...F4, ...F4, false]],
  ];

  function model2(): TinySwitch {
    const m = new TinySwitch(size2, testRng(1), every);
    randomiseVariables(m.allVariables(), lnGainsNearOne(0.2), 50);
    return m;
  }

  it('runs exactly the analytic matmuls: no embedding, decoder or layer-0 input gradient', async () => {
    const model = model2();
    expect(model.modules.at(-1)!.id).toBe('E');
    const count = (v: tf.Variable[]) => v.reduce((a, x) => a + x.size, 0);
    expect(count(model.backboneVariables())).toBe(switchBackboneParams(size2, every));
    expect(count(model.moduleVariables(model.modules.length - 1))).toBe(embedParams(size2));
    const runs: { name: string; kernels: number; matmulFlops: number; matmuls: Matmuls }[] = [];
    for (const [name, on] of patterns) {
      const step = await profileStep(model, on);
      expect(step.matmulFlops, name).toBe(
        ledgerMatmuls(switchStepLedger(size2, B, on, every).ledger),
      );
      runs.push({ name, ...step });
    }
    const [all, bottom, mixed, none] = runs;
    const rows = (r: (typeof runs)[number], a: number, b: number) =>
      shapes(r.matmuls).filter((x) => x === `${a}x${b}`).length;
    // The tied decoder's token-embedding gradient [V, d], and the q|k|v input gradient [N, d+1]
    // of both layers, only with the embeddings trained.
    expect(rows(all!, V, d)).toBe(1);
    expect(rows(all!, N, d + 1)).toBe(2);
    for (const r of [bottom!, mixed!, none!]) {
      expect(rows(r, V, d)).toBe(0);
      expect(rows(r, N, d + 1)).toBe(1);
    }
    expect(bottom!.kernels).toBeLessThan(all!.kernels);
    expect(none!.kernels).toBeLessThan(bottom!.kernels);
    const vanilla = switchStepFlops(size2, B, patterns[0]![1], every).total;
    console.log(
      `test Switch (2 layers, batch ${B}), kernels per step / matmul FLOPs / analytic FLOPs vs vanilla: ${runs
        .map(
          (r, i) =>
            `${r.name} ${r.kernels} / ${r.matmulFlops} / ${((100 * switchStepFlops(size2, B, patterns[i]![1], every).total) / vanilla).toFixed(1)} %`,
        )
        .join('; ')}`,
    );
    model.dispose();
  });

  it('computes the same gradients for what trains, and moves only that', () => {
    const before = tf.memory().numTensors;
    const model = model2();
    const t = batchTensors(6);
    const ref = tf.variableGrads(lossOf(model, t), model.allVariables());
    for (const [, on] of patterns.slice(1)) {
      model.setGroups(on);
      const active = activeVariables(model, on);
      expectSameGrads(tf.variableGrads(lossOf(model, t), active), ref, active);
    }
    disposeGrads(ref);
    expectOnlyUpdatedMove(model, patterns[2]![1], lossOf(model, t));
    for (const x of Object.values(t)) x.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('with the shared parts under the modules (modules heads, embed, shared)', () => {
  const size2 = { ...size, layers: 2 };
  const every = { ffn: false, embed: true };
  const whole = { ...every, shared: true };
  const T2 = [true, true];
  const F2 = [false, false];
  const T4 = [...T2, ...T2];
  const F4 = [...F2, ...F2];
  /** Module order: L0.H0–1, L1.H0–1, L0.E0–3, L1.E0–3, E. */
  const patterns: [string, boolean[]][] = [
    ['all updated', [...T4, ...T4, ...T4, true]],
    ['embeddings and layer 0 frozen', [...F2, ...T2, ...F4, ...T4, false]],
    [
      'embeddings frozen, layer 0 mixed',
      [true, false, ...T2, true, false, true, false, ...T4, false],
    ],
    [
      'embeddings and layer-0 heads frozen, layer-0 experts updated',
      [...F2, ...T2, ...T4, ...T4, false],
    ],
    ['layer 1 frozen, the rest updated', [...T2, ...F2, ...T4, ...F4, true]],
    ['everything frozen', [...F4, ...F4, ...F4, false]],
  ];
  const named = (name: string) => patterns.find(([n]) => n === name)![1];

  function model2(selection: typeof every): TinySwitch {
    const m = new TinySwitch(size2, testRng(1), selection);
    randomiseVariables(m.allVariables(), lnGainsNearOne(0.2), 50);
    return m;
  }

  /** The variable's name without the model instance and the counter (`switch3/L0.router#12`). */
  const baseName = (v: tf.Variable) => v.name.replace(/^[^/]*\//, '').replace(/#\d+$/, '');

  /** A model with `shared` whose weights are those of `from` (randomised in another order). */
  function sharedCopy(from: TinySwitch): TinySwitch {
    const m = new TinySwitch(size2, testRng(1), whole);
    const src = new Map(from.allVariables().map((v) => [baseName(v), v]));
    for (const v of m.allVariables()) v.assign(src.get(baseName(v))!);
    return m;
  }

  it('runs exactly the analytic matmuls: a frozen layer with nothing trained under it runs no backward', async () => {
    const plain = model2(every);
    const model = sharedCopy(plain);
    const count = (v: tf.Variable[]) => v.reduce((a, x) => a + x.size, 0);
    // Backbone, modules and shared parts partition the model; the backbone keeps the MLM head.
    expect(count(model.backboneVariables())).toBe(switchBackboneParams(size2, whole));
    expect(switchBackboneParams(size2, whole)).toBe(d * d + d + 2 * d + V);
    expect(model.sharedParts().map((p) => count(p.variables))).toEqual([
      3 * d,
      d * E + 2 * d,
      3 * d,
      d * E + 2 * d,
    ]);
    const runs = new Map<string, Awaited<ReturnType<typeof profileStep>>>();
    const plainRuns = new Map<string, Awaited<ReturnType<typeof profileStep>>>();
    for (const [name, on] of patterns) {
      const step = await profileStep(model, on);
      // Every matmul that runs is charged, and nothing else.
      expect(step.matmulFlops, name).toBe(
        ledgerMatmuls(switchStepLedger(size2, B, on, whole).ledger),
      );
      runs.set(name, step);
      plainRuns.set(name, await profileStep(plain, on));
    }
    const rows = (r: { matmuls: Matmuls }, ...dims: number[]) =>
      shapes(r.matmuls).filter((x) => x === dims.join('x')).length;
    const get = (m: typeof runs, name: string) => m.get(name)!;
    // All updated: the same matmuls and kernels as without `shared`.
    expect(get(runs, 'all updated').matmulFlops).toBe(get(plainRuns, 'all updated').matmulFlops);
    expect(get(runs, 'all updated').kernels).toBe(get(plainRuns, 'all updated').kernels);
    // The router's weight gradient xᵀ·D [d, E]: per layer while one of its experts is updated
    // (always without `shared`).
    const routerGrads = patterns.map(([name]) => rows(get(runs, name), d, E));
    expect(routerGrads).toEqual([2, 1, 2, 2, 1, 0]);
    for (const [name] of patterns) expect(rows(get(plainRuns, name), d, E), name).toBe(2);
    // The slots' input gradient D_h·W̃1ᵀ [g, C, d+1] (both groups): only where the layer's input
    // needs a gradient. With layer 0 and the embeddings frozen, only layer 1's; with layer 0's
    // heads frozen but its experts updated, still only layer 1's (the router and the experts
    // take their weight gradients, nothing below them runs); without `shared` every layer's.
    const slotGrads = (r: { matmuls: Matmuls }) =>
      shapes(r.matmuls).filter((x) => x.endsWith(`x${C}x${d + 1}`)).length;
    expect(slotGrads(get(runs, 'embeddings and layer 0 frozen'))).toBe(1);
    expect(slotGrads(get(plainRuns, 'embeddings and layer 0 frozen'))).toBe(2);
    expect(
      slotGrads(get(runs, 'embeddings and layer-0 heads frozen, layer-0 experts updated')),
    ).toBe(1);
    expect(
      rows(get(runs, 'embeddings and layer-0 heads frozen, layer-0 experts updated'), E, C, f + 1),
    ).toBe(2);
    // Everything frozen: no backward below the MLM head: no router, slot or q|k|v gradient; of
    // the head's [BM, d] outputs the forward dense and the decoder's input gradient only.
    const none = get(runs, 'everything frozen');
    const plainNone = get(plainRuns, 'everything frozen');
    expect(slotGrads(none)).toBe(0);
    expect(rows(none, N, d + 1)).toBe(0);
    expect(rows(none, BM, d)).toBe(2);
    expect(rows(plainNone, BM, d)).toBe(3);
    expect(slotGrads(plainNone)).toBe(2);
    // Layer 1 frozen above trained layers: its backward runs as input gradients only.
    const top = get(runs, 'layer 1 frozen, the rest updated');
    expect(slotGrads(top)).toBe(2);
    expect(top.matmulFlops).toBeLessThan(
      get(plainRuns, 'layer 1 frozen, the rest updated').matmulFlops,
    );
    // Fewer kernels than without `shared` wherever a layer has no updated module.
    for (const name of [
      'embeddings and layer 0 frozen',
      'layer 1 frozen, the rest updated',
      'everything frozen',
    ]) {
      expect(get(runs, name).kernels, name).toBeLessThan(get(plainRuns, name).kernels);
      expect(get(runs, name).matmulFlops, name).toBeLessThan(get(plainRuns, name).matmulFlops);
    }
    const vanilla = switchStepFlops(size2, B, named('all updated'), every).total;
    const share = (on: boolean[], sel: typeof every) =>
      ((100 * switchStepFlops(size2, B, on, sel).total) / vanilla).toFixed(1);
    console.log(
      `test Switch (2 layers, batch ${B}), kernels / matmul FLOPs / analytic FLOPs vs vanilla, shared vs backbone norms and routers: ${patterns
        .map(
          ([name, on]) =>
            `${name} ${get(runs, name).kernels} / ${get(runs, name).matmulFlops} / ${share(on, whole)} % vs ${get(plainRuns, name).kernels} / ${get(plainRuns, name).matmulFlops} / ${share(on, every)} %`,
        )
        .join('; ')}`,
    );
    model.dispose();
    plain.dispose();
  });

  it('the same gradients for what trains, and a frozen layer’s router, bias and norms stay', () => {
    const before = tf.memory().numTensors;
    const model = model2(whole);
    const t = batchTensors(6);
    const ref = tf.variableGrads(lossOf(model, t), model.allVariables());
    for (const [name, on] of patterns.slice(1)) {
      model.setGroups(on);
      const active = activeVariables(model, on);
      // Layer 0's router and FFN norm train iff one of its experts is updated, its attention
      // bias and norm iff one of its heads is.
      const has = (part: string) => active.some((v) => v.name.includes(`/L0.${part}#`));
      expect([has('router'), has('ln2g')], name).toEqual(
        Array(2).fill(on.slice(4, 8).some(Boolean)),
      );
      expect([has('bo'), has('ln1g')], name).toEqual(Array(2).fill(on.slice(0, 2).some(Boolean)));
      expectSameGrads(tf.variableGrads(lossOf(model, t), active), ref, active);
    }
    disposeGrads(ref);
    // Embeddings and layer 0 frozen: L0's router, bo, ln1 and ln2 do not move, L1's do.
    expectOnlyUpdatedMove(model, named('embeddings and layer 0 frozen'), lossOf(model, t));
    // Layer-0 heads frozen, its experts updated: its router and FFN norm move, bo and ln1 not.
    expectOnlyUpdatedMove(
      model,
      named('embeddings and layer-0 heads frozen, layer-0 experts updated'),
      lossOf(model, t),
    );
    for (const x of Object.values(t)) x.dispose();
    model.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('vanilla trains bit for bit as without `shared`', () => {
    const plain = model2(every);
    const model = sharedCopy(plain);
    const on = named('all updated');
    const train = (m: TinySwitch) => {
      m.setGroups(on);
      const vars = activeVariables(m, on);
      const opt = new FusedAdam({ lr: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
      opt.setActive(vars);
      const losses: number[] = [];
      for (let i = 0; i < 4; i++) {
        const tb = batchTensors(i + 1);
        losses.push(
          tf.tidy(() => {
            const { value, grads } = tf.variableGrads(lossOf(m, tb), vars);
            opt.apply(vars.map((v) => grads[v.name]!));
            return value.dataSync()[0]!;
          }),
        );
        for (const x of Object.values(tb)) x.dispose();
      }
      opt.dispose();
      const weights = new Map(m.allVariables().map((v) => [baseName(v), Array.from(v.dataSync())]));
      return { losses, weights };
    };
    const a = train(plain);
    const b = train(model);
    // The same variables train (in another order in Adam's fused buffer, which is
    // element-wise), with the same operations: equal bits, not merely close.
    expect(b.losses).toEqual(a.losses);
    expect(new Set(a.losses).size).toBe(4);
    expect([...b.weights.keys()].sort()).toEqual([...a.weights.keys()].sort());
    for (const [name, w] of a.weights) expect(b.weights.get(name), name).toEqual(w);
    plain.dispose();
    model.dispose();
  });
});

type Matmuls = Awaited<ReturnType<typeof profileStep>>['matmuls'];
