import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { switchBackboneParams, switchStepFlops, switchStepLedger } from './flops';
import { embedParams, ledgerMatmuls } from '../transformer/flops';
import { sampleLosses } from '../model';
import { TinySwitch } from './model';
import { disposeGrads, expectSameGrads } from '../../testing/kernels';
import { activeVariables, expectOnlyUpdatedMove, profileAdamStep } from '../../testing/training';
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

type Matmuls = Awaited<ReturnType<typeof profileStep>>['matmuls'];
