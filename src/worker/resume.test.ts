import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { RunCheckpoint } from '../core/checkpoint';
import type { ExperimentConfig } from '../core/config';
import { checkpointBytes } from '../core/checkpoint';
import { TINY_BERT_CPU } from '../core/testing/session';
import { nodeDeps } from '../node/deps';
import type { FromWorker, InitOptions } from '../protocol/messages';
import { PROTOCOL_VERSION } from '../protocol/messages';
import { createHandler } from './handler';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** The tiny BERT with the step kernel and FFN blocks as modules, as bert-austen trains. */
const config: ExperimentConfig = { ...TINY_BERT_CPU, kernel: 'step', modules: 'heads,ffn' };
const K = config.K;

function harness() {
  const msgs: FromWorker[] = [];
  const handle = createHandler((m) => msgs.push(m), nodeDeps);
  const of = <T extends FromWorker['type']>(t: T) =>
    msgs.filter((m): m is Extract<FromWorker, { type: T }> => m.type === t);
  const init = (opts: InitOptions = {}) =>
    handle({ type: 'init', version: PROTOCOL_VERSION, config, ...opts });
  /** Takes `n` steps and waits for the loop to stop. */
  const steps = async (n: number, to: number) => {
    await handle({ type: 'step', count: n });
    const t0 = Date.now();
    while (!of('status').some((s) => !s.running && s.step === to)) {
      if (Date.now() - t0 > 30_000) throw new Error(`no stop at ${to}`);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  const losses = () => of('metrics').flatMap((m) => Array.from(m.batch.loss));
  const lambdas = () =>
    of('evaluation').flatMap((m) => [m.evaluation.step, ...m.evaluation.lambdaMax]);
  return { msgs, handle, of, init, steps, losses, lambdas };
}

function maxRelDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(
    0,
    ...a.map((x, i) => Math.abs(x - b[i]!) / Math.max(Math.abs(x), Math.abs(b[i]!), 1e-30)),
  );
}

describe('checkpoints through the worker protocol', () => {
  it('posts a checkpoint where training stops; a resumed run replays its history and goes on exactly', async () => {
    const S = 3 * K + 1;
    const end = S + 2 * K + 1;
    const off = harness();
    await off.init();
    await off.steps(S, S);
    expect(off.of('checkpoint'), 'autosave is off unless asked for').toHaveLength(0);

    const ref = harness();
    await ref.init({ autosaveEvery: 5 });
    await ref.steps(S, S);
    const saves = ref.of('checkpoint');
    expect(saves.map((c) => [c.reason, c.checkpoint.session.step])).toEqual([['paused', S]]);
    // As IndexedDB would store it (a structured clone), while `ref` trains on.
    const checkpoint: RunCheckpoint = structuredClone(saves[0]!.checkpoint);
    expect(checkpointBytes(checkpoint)).toBeGreaterThan(4 * 1000);
    await ref.steps(end - S, end);

    const got = harness();
    await got.init({ resume: checkpoint, autosaveEvery: 5 });
    expect(got.of('ready')).toHaveLength(1);
    expect(got.of('status').at(-1)).toMatchObject({ running: false, step: S });
    // The history before S, as the run posted it.
    expect(got.losses()).toEqual(ref.losses().slice(0, S));
    expect(got.of('validation')).toEqual(ref.of('validation').filter((v) => v.step <= S));
    await got.steps(end - S, end);
    // cpu is deterministic and the restore bit-exact: 0 measured, ≤ 1e-5 promised.
    expect(maxRelDiff(got.losses(), ref.losses())).toBeLessThanOrEqual(1e-5);
    expect(maxRelDiff(got.lambdas(), ref.lambdas())).toBeLessThanOrEqual(1e-5);
    expect(got.of('evaluation').map((e) => e.evaluation.reasons)).toEqual(
      ref.of('evaluation').map((e) => e.evaluation.reasons),
    );
    expect(got.of('validation')).toEqual(ref.of('validation'));
  });

  it('refuses a checkpoint of another experiment with a message naming the field', async () => {
    const a = harness();
    await a.init({ autosaveEvery: 5 });
    await a.steps(1, 1);
    const checkpoint = a.of('checkpoint')[0]!.checkpoint;
    const b = harness();
    await b.handle({
      type: 'init',
      version: PROTOCOL_VERSION,
      config: { ...config, dFF: 8 },
      resume: checkpoint,
    });
    const error = b.of('error')[0];
    expect(error).toMatchObject({ code: 'config', fatal: true });
    expect(error!.message).toMatch(
      /^The saved run could not be restored: checkpoint\.session\.weights\.\d+\.shape/,
    );
    expect(b.of('ready')).toHaveLength(0);
  });
});
