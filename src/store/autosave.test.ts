import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InThreadTrainer } from '../client/in-thread-trainer';
import type { ExperimentConfig } from '../core/config';
import { validateRunFile } from '../core/runfile';
import { nodeDeps } from '../node/deps';
import { createHandler } from '../worker/handler';
import { MemoryRunStore, quotaExceeded } from '../storage/testing';
import { applySettings, bootLab, exportRun, flushMessages, resumeSavedRun } from './actions';
import {
  configureRunStore,
  deleteSavedRun,
  linkMatches,
  MAX_SAVED_RUNS,
  savesSettled,
} from './autosave';
import { resetStore, useLabStore } from './store';
import type { LabState } from './store';

const get = useLabStore.getState;

/** The classroom MLP on the cpu backend, pausing at S = 20 (an evaluation boundary, K = 10). */
const S = 20;
const K = 10;
const LINK = `?preset=mlp-spiral&backend=cpu&stopAt=${S}`;

/** The in-thread trainer (the worker's very handler, on this thread), with a crash to provoke. */
class TestTrainer extends InThreadTrainer {
  constructor() {
    super((post) => createHandler(post, nodeDeps));
  }
  crash(): void {
    this.events.emit({
      type: 'error',
      code: 'worker-crashed',
      message: 'The run stopped (test crash).',
      fatal: true,
    });
  }
}

let trainers: TestTrainer[] = [];
function boot(link = LINK): TestTrainer {
  const t = new TestTrainer();
  trainers.push(t);
  bootLab(link, () => t);
  return t;
}

function until(pred: (s: LabState) => boolean, what: string, ms = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const check = () => {
      flushMessages();
      return pred(get());
    };
    if (check()) return resolve();
    const timer = setTimeout(() => {
      off();
      reject(new Error(`timed out waiting for ${what}`));
    }, ms);
    const off = useLabStore.subscribe(() => {
      if (!pred(get())) return;
      clearTimeout(timer);
      off();
      resolve();
    });
  });
}

/** Steps the live run to `step` completed steps (Step requests) and waits for its metrics. */
async function stepTo(step: number): Promise<void> {
  const t = get().link!.trainer;
  t.step(step - get().step);
  await until((s) => s.metrics.length === step && !s.running, `step ${step}`);
}

/** Losses by step and λmax by evaluation, as the store holds them. */
function trace(s: LabState) {
  return {
    loss: Array.from(s.metrics.loss.subarray(0, s.metrics.length)),
    steps: Array.from(s.metrics.steps.subarray(0, s.metrics.length)),
    lambda: s.evaluations.map((e) => [e.step, ...e.lambdaMax]),
  };
}

function maxRelDiff(a: number[], b: number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(
    0,
    ...a.map((x, i) => Math.abs(x - b[i]!) / Math.max(Math.abs(x), Math.abs(b[i]!), 1e-30)),
  );
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});
beforeEach(() => {
  resetStore();
  trainers = [];
});
afterEach(() => {
  resetStore();
});

describe('autosave and resume (page, handler and Session together)', () => {
  it('saves at the pause; the same link offers "Resume at step S", which goes on exactly', async () => {
    // The uninterrupted run, to S + 2K and one step more (the evaluation at S + 2K is in).
    boot();
    await until((s) => s.phase === 'ready', 'ready');
    await stepTo(S + 2 * K + 1);
    const ref = trace(get());
    resetStore();

    const store = new MemoryRunStore();
    await configureRunStore(store);
    boot();
    await until((s) => s.phase === 'ready', 'ready');
    get().link!.trainer.play();
    await until((s) => s.lastSave?.step === S, 'the save at the stop');
    expect(store.runs.size).toBe(1);
    const [saved] = store.runs.values();
    expect(saved!.meta).toMatchObject({
      name: 'MLP · spiral (classroom)',
      preset: 'mlp-spiral',
      step: S,
    });
    expect(saved!.meta.bytes).toBeGreaterThan(1000);

    // The page is opened again with the same link: the saved run is offered.
    resetStore();
    await configureRunStore(store);
    boot();
    await until((s) => s.resumeOffer !== null, 'the offer');
    expect(get().resumeOffer).toMatchObject({ step: S, reason: 'link' });
    expect(await resumeSavedRun(get().resumeOffer!.id, false)).toBe(true);
    expect(get().step).toBe(S);
    expect(get().metrics.length, 'the saved metrics are shown again').toBe(S);
    await stepTo(S + 2 * K + 1);
    const got = trace(get());
    expect(got.steps).toEqual(ref.steps);
    // cpu is deterministic and the restore bit-exact: the differences are 0 (≤ 1e-5 promised).
    expect(maxRelDiff(got.loss, ref.loss)).toBeLessThanOrEqual(1e-5);
    expect(got.lambda.map((l) => l[0])).toEqual(ref.lambda.map((l) => l[0]));
    expect(maxRelDiff(got.lambda.flat(), ref.lambda.flat())).toBeLessThanOrEqual(1e-5);
  });

  it('a link with other changes before the saved step is another run', async () => {
    const store = new MemoryRunStore();
    await configureRunStore(store);
    boot();
    await until((s) => s.phase === 'ready', 'ready');
    get().link!.trainer.play();
    await until((s) => s.lastSave?.step === S, 'the save');
    const meta = (await store.list())[0]!;
    const link: ExperimentConfig = meta.link;
    expect(linkMatches(meta, link)).toBe(true);
    expect(linkMatches(meta, { ...link, autoplay: true, stopAt: 0 })).toBe(true);
    expect(linkMatches(meta, { ...link, lr: link.lr * 2 })).toBe(false);
    const at = (step: number) => ({ step, name: 'alpha' as const, value: 1.2 });
    expect(linkMatches(meta, { ...link, events: [at(S - 1)] })).toBe(false);
    // A change at or after the save may be newer than it: still this run.
    expect(linkMatches(meta, { ...link, events: [at(S)] })).toBe(true);
  });

  it('explains a full store (quota), trains on, and saves again once there is room', async () => {
    const store = new MemoryRunStore();
    store.failPut = quotaExceeded;
    await configureRunStore(store);
    boot();
    await until((s) => s.phase === 'ready', 'ready');
    get().link!.trainer.play();
    await until((s) => s.saveError !== null, 'the failed save');
    const error = get().errors.find((e) => e.source === 'storage');
    expect(error).toMatchObject({ code: 'storage-quota', fatal: false });
    expect(error!.message).toMatch(
      /storage for the lab is full \(this save needs about [\d.]+ kB\)/,
    );
    expect(error!.message).toMatch(/Training goes on, unsaved\. Delete saved runs/);
    expect(store.runs.size).toBe(0);
    expect(get().phase).toBe('ready');
    // Room again: the next save (the next pause) goes through and the problem is over.
    store.failPut = null;
    await stepTo(S + 3);
    await until((s) => s.lastSave?.step === S + 3, 'the next save');
    expect(get().saveError).toBeNull();
    expect(store.runs.size).toBe(1);
  });

  it('after a worker crash offers the last save; it restores (Play, Export) in a new run', async () => {
    const store = new MemoryRunStore();
    await configureRunStore(store);
    const t = boot();
    await until((s) => s.phase === 'ready', 'ready');
    get().link!.trainer.play();
    await until((s) => s.lastSave?.step === S, 'the save');
    const id = get().runId;
    t.crash();
    await until((s) => s.resumeOffer !== null, 'the offer');
    expect(get().phase).toBe('failed');
    expect(get().resumeOffer).toMatchObject({ id, step: S, reason: 'worker-crashed' });
    expect(await resumeSavedRun(id, false)).toBe(true);
    expect(get()).toMatchObject({ phase: 'ready', step: S, runId: id, resumeOffer: null });
    const run = validateRunFile(JSON.parse(JSON.stringify(await exportRun())));
    expect(run.step).toBe(S);
    expect(run.metrics.step).toHaveLength(S);
    expect(run.evaluations.map((e) => e.step)).toEqual([0, 10]);
  });

  it('resuming a saved run while another trains saves that one first', async () => {
    const store = new MemoryRunStore();
    await configureRunStore(store);
    boot();
    await until((s) => s.phase === 'ready', 'ready');
    get().link!.trainer.play();
    await until((s) => s.lastSave?.step === S, 'the save at the stop');
    const first = get().runId;
    // Another run, training on with no stop.
    applySettings({ stopAt: 0 });
    await until((s) => s.phase === 'ready' && s.runId !== first, 'the second run');
    const second = get().runId;
    get().link!.trainer.play();
    await until((s) => s.step >= 5, 'the second run trains');
    expect(await resumeSavedRun(first, false)).toBe(true);
    expect(get()).toMatchObject({ runId: first, step: S });
    const saved = await store.get(second);
    expect(saved?.meta.step, 'the second run was saved where it was paused').toBeGreaterThanOrEqual(
      5,
    );
  });

  it(`keeps the newest ${MAX_SAVED_RUNS} saved runs`, async () => {
    const store = new MemoryRunStore();
    await configureRunStore(store);
    boot();
    await until((s) => s.phase === 'ready', 'ready');
    const base = (await (async () => {
      get().link!.trainer.step(1);
      await until((s) => s.lastSave?.step === 1, 'a save');
      return store.runs.values().next().value!;
    })())!;
    for (let i = 0; i < MAX_SAVED_RUNS + 2; i++) {
      const id = `old-${i}`;
      await store.put({ ...base, meta: { ...base.meta, id, savedAt: i } });
    }
    get().link!.trainer.step(1);
    await until((s) => s.lastSave?.step === 2, 'the next save');
    await savesSettled();
    const ids = [...store.runs.keys()];
    expect(ids).toHaveLength(MAX_SAVED_RUNS);
    expect(ids).toContain(get().runId);
    expect(ids).not.toContain('old-0');
    expect(ids).toContain(`old-${MAX_SAVED_RUNS + 1}`);
    expect(
      get()
        .savedRuns.map((m) => m.id)
        .sort(),
    ).toEqual([...ids].sort());
    // Delete: gone from the browser's store and from the list.
    await deleteSavedRun(`old-${MAX_SAVED_RUNS + 1}`);
    expect(store.runs.has(`old-${MAX_SAVED_RUNS + 1}`)).toBe(false);
    expect(get().savedRuns).toHaveLength(MAX_SAVED_RUNS - 1);
  });
});
