import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentConfig } from './config';
import { DEFAULT_CONFIG } from './config';
import type { Corpus } from './data/corpus';
import { CheckpointError } from './checkpoint';
import { Session } from './session';
import { TINY_BERT_CPU } from './testing/session';
import { loadCorpusFromDisk } from '../node/deps';

let corpus: Corpus;
beforeAll(async () => {
  await tf.setBackend('cpu');
  corpus = loadCorpusFromDisk();
});

/**
 * The tolerance of "continues exactly": 1e-5 relative. On the cpu backend every kernel is
 * deterministic, and a restored run executes the same operations on bit-identical inputs
 * (weights, Adam moments and steps, the batch stream's position, the policy's state), so the
 * values should be bit-identical (the measured difference is 0, printed below); 1e-5 is the
 * bound the resume feature promises, and far below what any missing piece of state gives (the
 * control at the end: Adam's moments dropped moves the losses by more than 1e-3).
 */
const TOL = 1e-5;

/** The MLP of the classroom preset, deciding every 4 steps, with replayed α and override events. */
const MLP: ExperimentConfig = {
  ...DEFAULT_CONFIG,
  model: 'mlp',
  data: 'spiral',
  hidden: '8,8',
  features: 'x,y,sinx,siny',
  batch: 16,
  probe: 8,
  K: 4,
  warmup: 4,
  alpha: 1,
  beta: 0.01,
  lr: 0.03,
  valEvery: 1000,
  backend: 'cpu',
  events: [
    { step: 2, name: 'override', module: 'L0.N1', mode: 'off' },
    { step: 20, name: 'alpha', value: 1.1 },
  ],
};

/** BERT as bert-austen trains it (step kernel; heads, FFN blocks and embeddings as modules). */
const BERT: ExperimentConfig = {
  ...TINY_BERT_CPU,
  kernel: 'step',
  modules: 'heads,ffn,embed',
  K: 3,
  warmup: 3,
  alpha: 1,
  events: [{ step: 16, name: 'beta', value: 0.05 }],
};

/** Live moves a run makes before the step it is at: the same in both runs compared. */
function live(s: Session): void {
  if (s.step === 5) s.setParam('alpha', 0.95, false);
  if (s.step === 7) s.override(s.modules[0]!.id, 'on');
  // At the checkpoint steps below: a pending slider move and an override cross the checkpoint.
  if (s.step === 13) s.setParam('beta', 0.03, false);
  if (s.step === 15) s.override(s.modules[0]!.id, null);
}

interface Trace {
  losses: number[];
  history: Session['history'];
}

/** Steps `s` up to `until` completed steps, making the live moves; losses by step. */
async function advanceTo(s: Session, until: number, losses: number[]): Promise<void> {
  while (s.step < until) {
    live(s);
    const r = await s.advance();
    losses.push((await r.loss.data())[0]!);
    r.loss.dispose();
  }
}

function maxRelDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!) / Math.max(Math.abs(a[i]!), Math.abs(b[i]!), 1e-30);
    m = Math.max(m, d);
  }
  return m;
}

async function uninterrupted(config: ExperimentConfig, steps: number): Promise<Trace> {
  const s = new Session(config, corpus);
  const losses: number[] = [];
  await advanceTo(s, steps, losses);
  const t = { losses, history: s.history.slice() };
  s.dispose();
  return t;
}

/** Runs to `at`, checkpoints, restores into a fresh Session and runs on to `steps`. */
async function resumed(config: ExperimentConfig, at: number, steps: number) {
  const a = new Session(config, corpus);
  const losses: number[] = [];
  await advanceTo(a, at, losses);
  live(a);
  const c = await a.checkpoint();
  const flopsAt = a.flopSplits();
  a.dispose();
  const b = Session.restore(config, corpus, c);
  expect(b.step).toBe(at);
  expect(b.flopSplits()).toEqual(flopsAt);
  await advanceTo(b, steps, losses);
  return { losses, history: b.history.slice(), session: b };
}

describe.each([
  ['mlp', MLP],
  ['bert (step kernel)', BERT],
])('checkpoint and restore: %s', (_name, config) => {
  const K = config.K;
  // S at an evaluation boundary (the evaluation at S not yet run) and one step after it; the
  // runs go on to S + 2K and one step more, so the evaluation at S + 2K is in.
  const boundary = 4 * K;
  for (const S of [boundary, boundary + 1]) {
    it(`goes on from step ${S} exactly as the uninterrupted run (λmax, loss to S + 2K)`, async () => {
      const end = S + 2 * K + 1;
      const before = tf.memory().numTensors;
      const ref = await uninterrupted(config, end);
      const got = await resumed(config, S, end);
      const lossDiff = maxRelDiff(got.losses, ref.losses);
      expect(got.history.map((e) => e.step)).toEqual(ref.history.map((e) => e.step));
      expect(got.history.at(-1)!.step).toBeGreaterThanOrEqual(S + 2 * K - (S % K));
      let lambdaDiff = 0;
      got.history.forEach((e, i) => {
        lambdaDiff = Math.max(lambdaDiff, maxRelDiff(e.lambdaMax, ref.history[i]!.lambdaMax));
      });
      console.info(
        `checkpoint ${_name} S=${S}: max relative difference loss ${lossDiff}, λmax ${lambdaDiff}`,
      );
      expect(lossDiff).toBeLessThanOrEqual(TOL);
      expect(lambdaDiff).toBeLessThanOrEqual(TOL);
      // The change log crossed the checkpoint whole: the live moves and the replayed events.
      const names = got.session.events.map((e) => `${e.step}:${e.name}`);
      expect(names).toContain('16:beta');
      // The policy froze modules on both sides of S (the frozen groups' cached weights crossed).
      const frozen = got.session.decisionLog.filter((e) => e.decisions.some((d) => !d.updating));
      expect(frozen.some((e) => e.step < S) && frozen.some((e) => e.step > S)).toBe(true);
      got.session.dispose();
      expect(tf.memory().numTensors, 'no tensor leaks').toBe(before);
    });
  }
});

describe('checkpoint restore checks', () => {
  it('a control: the same checkpoint without Adam’s moments does not continue the run', async () => {
    const S = 12;
    const ref = await uninterrupted(MLP, S + 8);
    const a = new Session(MLP, null);
    await advanceTo(a, S, []);
    live(a);
    const c = await a.checkpoint();
    a.dispose();
    const b = Session.restore(MLP, null, { ...c, adam: c.adam.map(() => null) });
    const losses = ref.losses.slice(0, S);
    await advanceTo(b, S + 8, losses);
    b.dispose();
    expect(maxRelDiff(losses, ref.losses)).toBeGreaterThan(1e-3);
  });

  it('refuses a checkpoint of another model or stream, naming the field', async () => {
    const a = new Session(MLP, null);
    await advanceTo(a, 3, []);
    const c = await a.checkpoint();
    a.dispose();
    const before = tf.memory().numTensors;
    expect(() => Session.restore({ ...MLP, features: 'x,y' }, null, c)).toThrow(
      /checkpoint\.session\.weights\.\d+\.shape/,
    );
    expect(() => Session.restore({ ...MLP, seed: 2 }, null, c)).toThrow(/another stream/);
    expect(() => Session.restore(MLP, null, { ...c, decisions: c.decisions.slice(1) })).toThrow(
      CheckpointError,
    );
    expect(tf.memory().numTensors, 'a refused restore frees its Session').toBe(before);
  });
});
