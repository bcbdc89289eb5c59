import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { MlmBatch } from '../../data/mlm';
import { sampleLosses } from '../model';
import { LOAD_BALANCE_ALPHA, TinySwitch } from './model';
import { disposeProbeTensors, makeProbe, probeTensors } from '../transformer/kernel';
import type { SwitchKernelExtras } from './kernel';
import { emptySwitchCapture, fastSwitchKernels, stepSwitchKernels } from './kernel';
import type { MlmTensors } from '../transformer/mlm-task';
import { expectStepGradients } from '../../testing/training';
import { oracleSwitchKernels, oracleSwitchStepKernels } from './oracle';
import { testRng } from '../../testing/fake-rng';
import { randomBatch } from '../../testing/mlm-batch';
import { WorstErrors, expectKernelsMatch } from '../../testing/kernels';
import { lnGainsNearOne, randomiseVariables } from '../../testing/weights';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

interface Case {
  name: string;
  layers: number;
  heads: number;
  d: number;
  ff: number;
  T: number;
  V: number;
  M: number;
  n: number;
  E: number;
  cf: number;
  kernel: 'trace' | 'loss';
  R: number;
  /** The embeddings a module too (`modules=heads,embed`). */
  embed?: boolean;
  /** The layers' biases, norms and routers trained with their modules (`…,shared`). */
  shared?: boolean;
}

/**
 * A model with weights large enough that every term of the kernel matters, and LayerNorm gains
 * near 1 (random-sign gains near 0 would make the router input nearly the same for every token,
 * and every token would pick the same expert).
 */
function model(c: Case, seed = 7): TinySwitch {
  const m = new TinySwitch(
    {
      layers: c.layers,
      heads: c.heads,
      dModel: c.d,
      dFF: c.ff,
      seqLen: c.T,
      vocab: c.V,
      experts: c.E,
      capacityFactor: c.cf,
    },
    testRng(seed),
    { ffn: false, embed: c.embed ?? false, shared: c.shared ?? false },
  );
  randomiseVariables(m.allVariables(), lnGainsNearOne(0.3), 100);
  return m;
}

/** Dispatch masks of the n-sample probe batch, per layer, [n·T·E] row-major. */
function probeMasks(m: TinySwitch, b: MlmBatch): Float32Array[] {
  const tokens = tf.tensor2d(b.inputs, [b.batch, b.seqLen], 'int32');
  const masks = m.dispatchMasks(tokens);
  const out = masks.map((x) => x.dataSync() as Float32Array);
  for (const x of masks) x.dispose();
  tokens.dispose();
  return out;
}

/**
 * Fast path vs brute force on the cpu backend in float32. Both sum O(P·T) float32 products
 * before the Gram (P ≈ 10²–10³ parameters per module), so rounding stays near 1e-6 relative
 * (measured: ≤ 2e-7); 1e-4 (docs/method.md, "The oracle and tolerances") leaves a wide margin,
 * while a routing error — a token counted for the wrong expert, a dropped token counted, a
 * replica routed differently from the probe batch — changes entries by O(1) relative.
 */
const TOL = 1e-4;

/** The model dimensions of the exact and the random-projection cases. */
const TWO_LAYERS = { layers: 2, heads: 2, d: 8, ff: 12 } as const;
/** The random-projection and the loss-gradient cases, with the embeddings a module or not. */
const PROJECTED: Omit<Case, 'name'> = {
  ...TWO_LAYERS,
  T: 5,
  V: 20,
  M: 2,
  n: 5,
  E: 4,
  cf: 1.25,
  kernel: 'trace',
  R: 3,
};
const LOSS: Omit<Case, 'name'> = {
  layers: 1,
  heads: 3,
  d: 6,
  ff: 10,
  T: 7,
  V: 24,
  M: 2,
  n: 4,
  E: 3,
  cf: 1,
  kernel: 'loss',
  R: 4,
};

const cases: Case[] = [
  {
    name: 'exact trace kernel (k = 16), capacity factor 1 drops tokens',
    ...TWO_LAYERS,
    T: 6,
    V: 16,
    M: 1,
    n: 4,
    E: 3,
    cf: 1,
    kernel: 'trace',
    R: 4,
  },
  { name: 'random projections (k = 40, R = 3), 4 experts, capacity 1.25', ...PROJECTED },
  { name: 'loss-gradient kernel', ...LOSS },
  {
    name: 'the embeddings a module too, random projections (k = 40, R = 3)',
    ...PROJECTED,
    embed: true,
  },
  {
    name: 'the embeddings a module too, loss-gradient kernel, capacity factor 1',
    ...LOSS,
    embed: true,
  },
];

describe('fast Switch mNTK vs brute-force oracle', () => {
  /** The worst relative entry error per module kind (modules with a non-zero oracle). */
  const errors = new WorstErrors();
  for (const c of cases) {
    it(c.name, async () => {
      const before = tf.memory().numTensors;
      const m = model(c);
      const batch = randomBatch(c.n, c.T, c.M, c.V, 11);
      const probe = makeProbe(batch, c.V, c.kernel, c.R, testRng(5));
      const pt = probeTensors(probe, c.V);
      const extras: SwitchKernelExtras = {};
      const fast = await fastSwitchKernels(m, probe, pt, extras);
      const oracle = oracleSwitchKernels(m, probe, c.V);
      disposeProbeTensors(pt);
      expect(fast.length).toBe(m.modules.length * c.n * c.n);
      // Heads, then experts (as without the embeddings), then E.
      expect(m.modules.map((x) => x.id).slice(-1)[0]).toBe(
        c.embed ? 'E' : `L${c.layers - 1}.E${c.E - 1}`,
      );
      expect(oracle.length).toBe(fast.length);
      // An expert no probe token reached: both kernels are exactly zero.
      const match = expectKernelsMatch(fast, oracle, m.modules.length, c.n, TOL, (mi) =>
        expect(m.modules[mi]!.kind).toBe('expert'),
      );
      errors.add(match.worst, { fast, oracle, n: c.n }, match.nonzero, (mi) => m.modules[mi]!.kind);
      const nonzeroExperts = match.nonzero.filter((mi) => m.modules[mi]!.kind === 'expert').length;
      expect(nonzeroExperts).toBeGreaterThanOrEqual(c.layers * (c.E - 1));
      // The router load comes from the same forward: kept tokens per expert of the probe batch.
      const masks = probeMasks(m, batch);
      const load = masks.flatMap((mask) =>
        Array.from({ length: c.E }, (_, e) => {
          let s = 0;
          for (let t = 0; t < c.n * c.T; t++) s += mask[t * c.E + e]!;
          return s;
        }),
      );
      expect(extras.routerLoad).toEqual(load);
      const cap = m.capacity(c.n * c.T);
      for (const x of load) expect(x).toBeLessThanOrEqual(cap);
      if (c.cf === 1)
        expect(Math.min(...masks.map((_, l) => sumRange(load, l, c.E)))).toBeLessThan(c.n * c.T);
      m.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
  errors.itReports(TOL, console.log);
});

/**
 * The 'step' kernel: the kernel of each sequence's share J_i of the training objective (mean
 * cross-entropy + load-balancing loss) on the batch's first n sequences, routed as the whole
 * batch is, against the oracle of the same J_i (TOL as above); the step's loss is the plain
 * training loss, and its gradients the plain step's within 1e-5 of the largest entry.
 */
describe('the Switch step kernel (from the training step) vs the oracle, and its gradients', () => {
  const errors = new WorstErrors();
  const stepCases: Case[] = [
    { name: 'capacity factor 1 drops tokens', ...LOSS, n: 3 },
    { name: 'the embeddings a module too, 4 experts', ...PROJECTED, n: 3, embed: true },
    {
      name: 'the embeddings a module too, biases, norms and routers shared with the modules',
      ...PROJECTED,
      n: 3,
      embed: true,
      shared: true,
    },
  ];
  for (const c of stepCases) {
    it(`batch 5, n = ${c.n}: ${c.name}`, async () => {
      const before = tf.memory().numTensors;
      const m = model(c);
      const B = 5;
      const batch = randomBatch(B, c.T, c.M, c.V, 31);
      const t = tf.tidy(() => [
        tf.tensor2d(batch.inputs, [B, c.T], 'int32'),
        tf.tensor1d(batch.positions, 'int32'),
        tf.oneHot(tf.tensor1d(batch.targets, 'int32'), c.V).toFloat(),
      ]) as MlmTensors;
      const loss = () => {
        const { logits, aux } = m.forward({ tokens: t[0], positions: t[1] });
        return sampleLosses(logits, t[2]).mean().add(aux) as tf.Scalar;
      };
      m.setGroups(m.modules.map(() => true));
      const ref = tf.variableGrads(loss, m.allVariables());

      const step = await stepSwitchKernels(m, t, c.n);
      const oracle = oracleSwitchStepKernels(m, batch, c.n, c.V);
      const match = expectKernelsMatch(step.kernels, oracle, m.modules.length, c.n, TOL, (mi) =>
        expect(m.modules[mi]!.kind).toBe('expert'),
      );
      errors.add(
        match.worst,
        { fast: step.kernels, oracle, n: c.n },
        match.nonzero,
        (mi) => m.modules[mi]!.kind,
      );
      expect(match.nonzero.length).toBeGreaterThan(m.modules.length / 2);
      // Its loss and gradients are the plain step's, with every module updated and some frozen.
      expectStepGradients(m, step, ref, loss);

      step.loss.dispose();
      step.dispose();
      tf.dispose([t, ref.value, Object.values(ref.grads)]);
      m.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
  errors.itReports(TOL, (line) => console.log(`step kernel: ${line}`));
});

const sumRange = (a: number[], l: number, E: number) =>
  a.slice(l * E, (l + 1) * E).reduce((x, y) => x + y, 0);

describe('routing respects the probe', () => {
  const c = cases[0]!;

  it('a sample none of whose kept tokens reached expert e has a zero row and column in Θ_e', async () => {
    const m = model(c);
    const batch = randomBatch(c.n, c.T, c.M, c.V, 11);
    const probe = makeProbe(batch, c.V, c.kernel, c.R, testRng(5));
    const pt = probeTensors(probe, c.V);
    const fast = await fastSwitchKernels(m, probe, pt);
    disposeProbeTensors(pt);
    const masks = probeMasks(m, batch);
    const { n, T, E } = c;
    let absent = 0;
    let present = 0;
    masks.forEach((mask, l) => {
      for (let e = 0; e < E; e++) {
        const base = (m.firstExpert + l * E + e) * n * n;
        for (let i = 0; i < n; i++) {
          let used = 0;
          for (let t = 0; t < T; t++) used += mask[(i * T + t) * E + e]!;
          for (let j = 0; j < n; j++) {
            if (used === 0) {
              expect(fast[base + i * n + j]).toBe(0);
              expect(fast[base + j * n + i]).toBe(0);
            }
          }
          if (used === 0) absent++;
          // In the last layer only the masked positions reach the outputs, so a sample whose
          // tokens used e elsewhere can still have a zero row; below it, every kept token counts.
          else if (l < masks.length - 1) {
            present++;
            expect(fast[base + i * n + i]!).toBeGreaterThan(0);
          }
        }
      }
    });
    expect(absent).toBeGreaterThan(0);
    expect(present).toBeGreaterThan(0);
    m.dispose();
  });

  it('each replica is routed as the probe batch alone; routing the copies together would not be', () => {
    const before = tf.memory().numTensors;
    const m = model(c);
    const batch = randomBatch(c.n, c.T, c.M, c.V, 11);
    const R = 3;
    const one = tf.tensor2d(batch.inputs, [c.n, c.T], 'int32');
    const rep = tf.tile(one, [R, 1]) as tf.Tensor2D;
    const alone = m.dispatchMasks(one);
    const perReplica = m.dispatchMasks(rep, R);
    const together = m.dispatchMasks(rep, 1);
    const diff = (a: tf.Tensor2D[], b: tf.Tensor2D[]) =>
      tf.tidy(() =>
        Math.max(
          ...a.map(
            (x, l) =>
              x
                .sub(tf.tile(b[l]!, [R, 1]))
                .abs()
                .max()
                .dataSync()[0]!,
          ),
        ),
      );
    expect(diff(perReplica, alone)).toBe(0);
    // Capacity drops couple samples: as one group of R·n sequences, later copies lose tokens.
    expect(diff(together, alone)).toBe(1);
    for (const t of [...alone, ...perReplica, ...together, one, rep]) t.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('dispatch follows argmax and the first-C rule; the aux loss is α·E·Σ f·P per layer', () => {
    const before = tf.memory().numTensors;
    const m = model(c);
    const batch = randomBatch(c.n, c.T, c.M, c.V, 11);
    const { n, T, E } = c;
    const NT = n * T;
    const C = m.capacity(NT);
    const capture = emptySwitchCapture();
    const tokens = tf.tensor2d(batch.inputs, [n, T], 'int32');
    const positions = tf.tensor1d(batch.positions, 'int32');
    const aux = tf.tidy(() => m.forward({ tokens, positions }, { capture }).aux);
    let expectedAux = 0;
    let dropped = 0;
    m.layerVars.forEach((L, l) => {
      const p = tf.tidy(() => tf.softmax(tf.matMul(capture.ffnIn[l]!, L.router)).dataSync());
      const mask = capture.mask[l]!.dataSync();
      const count = new Array<number>(E).fill(0);
      const f = new Array<number>(E).fill(0);
      const P = new Array<number>(E).fill(0);
      for (let t = 0; t < NT; t++) {
        let best = 0;
        for (let e = 0; e < E; e++) {
          P[e]! += p[t * E + e]! / NT;
          if (p[t * E + e]! > p[t * E + best]!) best = e;
        }
        f[best]! += 1 / NT;
        count[best]!++;
        const kept = count[best]! <= C;
        if (!kept) dropped++;
        for (let e = 0; e < E; e++) expect(mask[t * E + e]).toBe(e === best && kept ? 1 : 0);
      }
      expectedAux += LOAD_BALANCE_ALPHA * E * f.reduce((a, fe, e) => a + fe * P[e]!, 0);
    });
    expect(dropped).toBeGreaterThan(0);
    expect(aux.dataSync()[0]).toBeCloseTo(expectedAux, 6);
    for (const t of [...(Object.values(capture).flat() as tf.Tensor[]), aux, tokens, positions])
      t.dispose();
    m.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('gradients through the gate and the routed gathers match finite differences', () => {
    const m = model(c, 9);
    const batch = randomBatch(c.n, c.T, c.M, c.V, 4);
    const tokens = tf.tensor2d(batch.inputs, [c.n, c.T], 'int32');
    const positions = tf.tensor1d(batch.positions, 'int32');
    const oneHot = tf.oneHot(tf.tensor1d(batch.targets, 'int32'), c.V).toFloat() as tf.Tensor2D;
    const loss = () =>
      tf.tidy(() => {
        const { logits, aux } = m.forward({ tokens, positions });
        return sampleLosses(logits, oneHot).mean().add(aux.mul(100)) as tf.Scalar;
      });
    const L = m.layerVars;
    // Directions in which the loss is smooth at this point: W̃1 and the embeddings sit just
    // before ReLUs with pre-activations near 0, whose kinks spoil a float32 difference quotient.
    const checked = [L[0]!.router, L[1]!.router, L[0]!.w2[1]!, L[1]!.w2[2]!, L[0]!.ln1b];
    const { value, grads } = tf.variableGrads(loss, checked);
    value.dispose();
    const routing = () => {
      const masks = m.dispatchMasks(tokens);
      const key = masks.map((x) => Array.from(x.dataSync()).join('')).join('|');
      for (const x of masks) x.dispose();
      return key;
    };
    const base = routing();
    const eps = 3e-4;
    checked.forEach((v, i) => {
      const dir = tf.randomNormal(v.shape, 0, 1, 'float32', 300 + i);
      const analytic = tf.tidy(() => grads[v.name]!.mul(dir).sum().dataSync()[0]!);
      const orig = v.clone();
      const at = (s: number) => {
        tf.tidy(() => v.assign(orig.add(dir.mul(s))));
        expect(routing()).toBe(base);
        const l = loss();
        const out = l.dataSync()[0]!;
        l.dispose();
        return out;
      };
      const numeric = (at(eps) - at(-eps)) / (2 * eps);
      v.assign(orig);
      expect(Math.abs(numeric - analytic), v.name).toBeLessThan(1e-2 * Math.abs(analytic) + 2e-3);
      orig.dispose();
      dir.dispose();
    });
    for (const g of Object.values(grads)) g.dispose();
    for (const t of [tokens, positions, oneHot]) t.dispose();
    m.dispose();
  });
});
