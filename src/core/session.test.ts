import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentConfig } from './config';
import { DEFAULT_CONFIG, runEventOf } from './config';
import type { Corpus } from './data/corpus';
import { Session } from './session';
import { trainLosses } from './testing/session';
import { loadCorpusFromDisk } from '../node/deps';

let corpus: Corpus;
beforeAll(async () => {
  await tf.setBackend('cpu');
  corpus = loadCorpusFromDisk();
});

const tiny: ExperimentConfig = {
  ...DEFAULT_CONFIG,
  layers: 2,
  heads: 4,
  dModel: 16,
  dFF: 32,
  seqLen: 12,
  vocab: 200,
  batch: 8,
  probe: 6,
  R: 2,
  K: 5,
  warmup: 10,
  valEvery: 1000,
  valBatches: 1,
  lr: 5e-3,
};

async function run(cfg: ExperimentConfig, steps: number) {
  const s = new Session(cfg, corpus);
  return { s, losses: await trainLosses(s, steps) };
}

describe('Session', () => {
  it('trains: the loss falls, decisions mix after warm-up, and no tensor leaks', async () => {
    const { s, losses } = await run({ ...tiny, alpha: 1, beta: 0 }, 40);
    const first = losses.slice(0, 5).reduce((a, b) => a + b) / 5;
    const last = losses.slice(-5).reduce((a, b) => a + b) / 5;
    expect(last).toBeLessThan(first);
    expect(s.history.length).toBe(8);
    // α = 1 with ref = mean: some heads are below the mean, some above.
    const on = s.decisions.filter((d) => d.updating).length;
    expect(on).toBeGreaterThan(0);
    expect(on).toBeLessThan(s.modules.length);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) (await s.advance()).loss.dispose();
    expect(tf.memory().numTensors).toBe(before);
    const ppl = await s.validate();
    expect(ppl).toBeGreaterThan(1);
    expect(ppl).toBeLessThan(400);
    s.dispose();
  });

  it('is deterministic: the same config gives the same λmax and losses', async () => {
    const a = await run(tiny, 16);
    const b = await run(tiny, 16);
    expect(b.losses).toEqual(a.losses);
    expect(Array.from(b.s.history[3]!.lambdaMax)).toEqual(Array.from(a.s.history[3]!.lambdaMax));
    a.s.dispose();
    b.s.dispose();
  });

  it('replays logged slider events exactly', async () => {
    const live = new Session({ ...tiny, alpha: 0.5 }, corpus);
    for (let i = 0; i < 12; i++) (await live.advance()).loss.dispose();
    // Running: waits for the evaluation at step 15.
    live.setParam('alpha', 1.2, false);
    for (let i = 0; i < 6; i++) (await live.advance()).loss.dispose();
    // Paused at step 18: applies at once.
    live.setParam('beta', 0.3, true);
    for (let i = 0; i < 10; i++) (await live.advance()).loss.dispose();
    expect(live.events.map((e) => [e.step, e.name, e.to])).toEqual([
      [15, 'alpha', 1.2],
      [18, 'beta', 0.3],
    ]);
    const replay = new Session(
      {
        ...tiny,
        alpha: 0.5,
        events: live.events.map(runEventOf),
      },
      corpus,
    );
    for (let i = 0; i < 28; i++) (await replay.advance()).loss.dispose();
    expect(replay.history.map((e) => Array.from(e.lambdaMax))).toEqual(
      live.history.map((e) => Array.from(e.lambdaMax)),
    );
    expect(replay.decisionLog).toEqual(live.decisionLog);
    live.dispose();
    replay.dispose();
  });

  it('applies manual overrides over the policy, at once and at every later evaluation', async () => {
    const { s } = await run({ ...tiny, policy: 'vanilla' }, 1);
    const id = s.modules[1]!.id;
    expect(s.override(id, 'off').decisions[1]).toEqual({ updating: false, reason: 'forced-off' });
    expect(s.decisions[0]).toEqual({ updating: true, reason: 'all' });
    // Past the evaluation at step K: the policy decides again, the override still wins.
    for (let i = 0; i < tiny.K; i++) (await s.advance()).loss.dispose();
    expect(s.history.length).toBe(2);
    expect(s.decisions[1]).toEqual({ updating: false, reason: 'forced-off' });
    expect(s.override(id, null).decisions[1]).toEqual({ updating: true, reason: 'all' });
    s.dispose();
  });

  it('logs manual overrides at their step, and a replay of the log reproduces λmax and decisions', async () => {
    const cfg: ExperimentConfig = { ...tiny, alpha: 0.5, beta: 0 };
    const live = new Session(cfg, corpus);
    const ids = live.modules.map((m) => m.id);
    const advance = async (s: Session, n: number) => {
      for (let i = 0; i < n; i++) (await s.advance()).loss.dispose();
    };
    await advance(live, 12);
    // Mid-interval (step 12), then at an evaluation step before its evaluation (15), a clear,
    // a no-op (already cleared: not logged) and an unknown module (not logged).
    expect(live.override(ids[1]!, 'off').event).toEqual({
      step: 12,
      name: 'override',
      module: ids[1],
      from: 'auto',
      to: 'off',
    });
    await advance(live, 3);
    live.override(ids[2]!, 'on');
    live.setParam('alpha', 1.5, false);
    await advance(live, 6);
    expect(live.override(ids[1]!, null).event?.to).toBe('auto');
    expect(live.override(ids[1]!, null).event).toBeNull();
    expect(live.override('L9.H9', 'off').event).toBeNull();
    await advance(live, 9);
    expect(live.events.map((e) => [e.step, e.name, e.to])).toEqual([
      [12, 'override', 'off'],
      [15, 'override', 'on'],
      [15, 'alpha', 1.5],
      [21, 'override', 'auto'],
    ]);
    expect(live.decisionLog.find((d) => d.step === 20)?.decisions[1]?.reason).toBe('forced-off');
    expect(live.decisionLog.find((d) => d.step === 15)?.decisions[2]?.reason).toBe('forced-on');

    // The link's form of the log, read back by a fresh Session.
    const replay = new Session({ ...cfg, events: live.events.map(runEventOf) }, corpus);
    await advance(replay, 30);
    expect(replay.history.map((e) => Array.from(e.lambdaMax))).toEqual(
      live.history.map((e) => Array.from(e.lambdaMax)),
    );
    expect(replay.decisionLog).toEqual(live.decisionLog);
    expect(replay.events).toEqual(live.events);

    // Without the overrides the run differs: the test would catch a link that drops them.
    const plain = new Session(
      { ...cfg, events: live.events.filter((e) => e.name !== 'override').map(runEventOf) },
      corpus,
    );
    await advance(plain, 30);
    expect(plain.decisionLog).not.toEqual(live.decisionLog);
    expect(plain.history.map((e) => Array.from(e.lambdaMax))).not.toEqual(
      live.history.map((e) => Array.from(e.lambdaMax)),
    );
    for (const s of [live, replay, plain]) s.dispose();
  });

  it('reports override events naming no module of the model and does not replay them', () => {
    const s = new Session(
      {
        ...tiny,
        events: [
          { step: 3, name: 'override', module: 'L0.H1', mode: 'off' },
          { step: 4, name: 'override', module: 'L7.H0', mode: 'on' },
        ],
      },
      corpus,
    );
    expect(s.ignoredEvents).toEqual([{ step: 4, name: 'override', module: 'L7.H0', mode: 'on' }]);
    s.dispose();
  });
});
