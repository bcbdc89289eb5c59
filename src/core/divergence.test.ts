import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config';
import type { ExperimentConfig } from './config';
import { DivergenceGuard, GUARD_WARMUP_STEPS } from './divergence';
import { validateRunFile } from './runfile';
import { DivergenceError, Session } from './session';
import { BLOWS_UP_MLP, TINY_MLM, trainLosses } from './testing/session';
import { loadCorpusFromDisk } from '../node/deps';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Sets every variable of `s`'s model to NaN (a diverged run). */
function poison(s: Session): void {
  for (const v of s.model.allVariables()) tf.tidy(() => v.assign(tf.fill(v.shape, NaN)));
}

/** An MLP that Adam with lr = 1 blows up (`BLOWS_UP_MLP`), no evaluation in the way. */
const BLOWS_UP: ExperimentConfig = { ...BLOWS_UP_MLP, K: 1000 };

describe('the divergence guard', () => {
  it('flags a NaN or infinite loss at once, even in the warm-up', () => {
    const g = new DivergenceGuard();
    expect(g.check(1, 0.7)).toBeNull();
    expect(g.check(2, NaN)).toMatchObject({ step: 2, reason: 'non-finite' });
    expect(new DivergenceGuard().check(1, Infinity)?.message).toContain('step 1');
  });

  it('flags a smoothed loss above 10 × its lowest and above the first loss, after the warm-up', () => {
    const g = new DivergenceGuard();
    // Smoothed: 2, then 2·0.9^k + 0.01·(1 − 0.9^k), ≈ 0.01 after 200 steps.
    for (let i = 1; i <= 200; i++) expect(g.check(i, i === 1 ? 2 : 0.01)).toBeNull();
    // One hard batch of a well-fit model is not a blow-up: the smoothed loss rises to ≈ 0.2.
    expect(g.check(201, 2)).toBeNull();
    for (let i = 202; i <= 260; i++) expect(g.check(i, 0.01)).toBeNull();
    // A sustained rise is: smoothed above 10 × 0.01 and above the first loss (2).
    let d = null;
    let step = 261;
    for (; d === null && step < 300; step++) d = g.check(step, 5);
    expect(d).toMatchObject({ reason: 'blow-up' });
    expect(d!.message).toMatch(/rose to 5 at step \d+ \(smoothed 2\.\d+/);
    // Play trains on: only a further 10 × rise pauses again.
    for (let i = 0; i < 30; i++) expect(g.check(step + i, 5)).toBeNull();
    expect(g.check(400, 1e9)).toMatchObject({ reason: 'blow-up' });
  });

  it('does not count the warm-up', () => {
    const g = new DivergenceGuard();
    for (let i = 1; i <= GUARD_WARMUP_STEPS; i++) expect(g.check(i, i === 1 ? 1 : 1000)).toBeNull();
  });

  it('pauses an MLP that lr = 1 blows up, and not the same MLP at lr = 0.01', async () => {
    const first = async (config: ExperimentConfig) => {
      const s = new Session(config, null);
      const losses = await trainLosses(s, 150);
      s.dispose();
      const g = new DivergenceGuard();
      return losses.map((l, i) => g.check(i + 1, l)).find((d) => d !== null) ?? null;
    };
    const d = await first(BLOWS_UP);
    expect(d).toMatchObject({ reason: 'blow-up' });
    expect(d!.step).toBeGreaterThan(GUARD_WARMUP_STEPS);
    expect(await first({ ...BLOWS_UP, lr: 0.01 })).toBeNull();
  });

  it('never evaluates NaN weights: the evaluation throws DivergenceError, the Session stays whole', async () => {
    const s = new Session({ ...DEFAULT_CONFIG, ...TINY_MLM, K: 2 }, loadCorpusFromDisk());
    await trainLosses(s, 2);
    poison(s);
    expect(s.evaluationDue()).toBe(true);
    const err = await s.advance().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DivergenceError);
    expect((err as DivergenceError).step).toBe(2);
    expect(s.step).toBe(2);
    expect(s.history.map((e) => e.step)).toEqual([0]);
    s.dispose();
  });

  it('exports a run with NaN weights, and the file imports (NaN written as null)', async () => {
    const s = new Session({ ...DEFAULT_CONFIG, ...TINY_MLM, K: 2 }, loadCorpusFromDisk());
    await trainLosses(s, 3);
    poison(s);
    const file = await s.exportRun(
      { backend: 'cpu', adapter: '', isFallbackAdapter: false },
      { step: [1, 2, 3], loss: [4, 3, NaN], flops: [1, 2, 3], vanillaFlops: [1, 2, 3] },
      { step: [], perplexity: [] },
    );
    s.dispose();
    const nulls = file.weights.reduce(
      (a, w) => a + w.values.filter((v) => Number.isNaN(v)).length,
      0,
    );
    expect(nulls).toBeGreaterThan(0);
    const run = validateRunFile(JSON.parse(JSON.stringify(file)));
    expect(run.weights[0]!.values[0]).toBeNull();
    expect(run.exportEvaluation?.lambdaMax).toEqual([null, null]);
    expect(run.step).toBe(3);
  });
});
