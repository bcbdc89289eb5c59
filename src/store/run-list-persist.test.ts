import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MemoryRunListStore } from '../storage/testing';
import { applySettings, bootLab, configureMessageCommit } from './actions';
import { setChartX, setLogLoss, setOverlaid, setSmoothing } from './run-list';
import {
  configureRunListStore,
  readRunListRecord,
  RESTORED_ORIGIN,
  RUN_LIST_RECORD_VERSION,
  saveRunListNow,
} from './run-list-persist';
import { resetStore, useLabStore } from './store';
import { FakeTrainer, metricsMsg, readyMsg } from './testing';

const get = useLabStore.getState;
let stop: () => void = () => {};

beforeEach(() => resetStore());
afterEach(() => stop());

function boot(search: string): FakeTrainer {
  const t = new FakeTrainer();
  configureMessageCommit(0);
  bootLab(search, () => t);
  t.emit(readyMsg(t.inits[0]!));
  return t;
}

/** A page that trained mlp-circles for 30 steps, kept it (policy change), trained 20 more. */
function trainedPage(): FakeTrainer {
  const t = boot('?preset=mlp-circles');
  t.emit(
    metricsMsg(
      1,
      Array.from({ length: 30 }, (_, i) => 1 / (i + 1)),
    ),
  );
  applySettings({ policy: 'vanilla' });
  t.emit(readyMsg(t.inits[1]!));
  t.emit(
    metricsMsg(
      1,
      Array.from({ length: 20 }, (_, i) => 2 / (i + 1)),
    ),
  );
  return t;
}

/** A reload: a fresh store with the same run-list store. */
async function reload(store: MemoryRunListStore): Promise<void> {
  stop();
  resetStore();
  stop = await configureRunListStore(store, { debounceMs: 0 });
}

describe('the run list across a reload', () => {
  it('comes back with its overlays and chart options, the live run as one more entry', async () => {
    const store = new MemoryRunListStore();
    stop = await configureRunListStore(store, { debounceMs: 0 });
    trainedPage();
    setOverlaid('run-1', true);
    setChartX('flops');
    setSmoothing(0.3);
    setLogLoss(true);
    await saveRunListNow(store, true);
    const before = get().runs.map((r) => r.name);
    expect(before).toEqual(['mlp-circles · MAT · seed 1']);

    await reload(store);
    const s = get();
    expect(s.runs.map((r) => [r.id, r.name, r.steps])).toEqual([
      ['run-1', 'mlp-circles · MAT · seed 1', 30],
      ['run-2', 'mlp-circles · vanilla · seed 1', 20],
    ]);
    expect(s.runs.every((r) => r.origin === RESTORED_ORIGIN)).toBe(true);
    expect(s.overlaid).toEqual(['run-1']);
    expect([s.chartX, s.smoothing, s.logLoss]).toEqual(['flops', 0.3, true]);
    expect(s.runSeq).toBe(3);
    // The curves are the ones kept, values and all.
    expect(s.runs[0]!.loss!.value[29]).toBe(Math.fround(1 / 30));
  });

  it('is written a debounce after a change of the list, and while the live run trains', async () => {
    const store = new MemoryRunListStore();
    stop = await configureRunListStore(store, { debounceMs: 0, liveMs: 40 });
    const t = trainedPage();
    await new Promise((r) => setTimeout(r, 5));
    const saved = () => readRunListRecord(store.record)!.record.runs.map((r) => r.steps);
    expect(saved()).toEqual([30, 20]);
    // More steps of the live run: written once the live interval has passed, not before.
    t.emit(metricsMsg(21, [0.1, 0.1]));
    await new Promise((r) => setTimeout(r, 5));
    expect(saved()).toEqual([30, 20]);
    await new Promise((r) => setTimeout(r, 80));
    expect(saved()).toEqual([30, 22]);
  });

  it('renumbers restored runs after those the page kept before the list was read', async () => {
    const store = new MemoryRunListStore();
    stop = await configureRunListStore(store, { debounceMs: 0 });
    trainedPage();
    await saveRunListNow(store, false);
    stop();
    resetStore();
    trainedPage(); // keeps run-1 before the stored list is read
    stop = await configureRunListStore(store, { debounceMs: 0 });
    const ids = get().runs.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids).toEqual(['run-2', 'run-1']);
    expect(get().runSeq).toBe(3);
  });

  it('drops entries that do not parse and says how many; a foreign record is refused whole', async () => {
    const store = new MemoryRunListStore();
    stop = await configureRunListStore(store, { debounceMs: 0 });
    trainedPage();
    await saveRunListNow(store, true);
    const rec = store.record as { runs: Record<string, unknown>[] };
    rec.runs[0] = { ...rec.runs[0], config: { model: 'nope' } };
    await reload(store);
    expect(get().runs).toHaveLength(1);
    expect(
      get()
        .errors.map((e) => e.message)
        .join(),
    ).toMatch(/1 run of the run list saved before this page load could not be read/);

    store.record = { version: RUN_LIST_RECORD_VERSION + 1, runs: [] };
    await reload(store);
    expect(get().runs).toHaveLength(0);
    expect(
      get()
        .errors.map((e) => e.message)
        .join(),
    ).toMatch(/could not be read \(version: .*\); the list starts empty/);
  });

  it('says a failed write once and keeps the runs listed', async () => {
    const store = new MemoryRunListStore();
    store.failSave = () => new DOMException('The quota has been exceeded.', 'QuotaExceededError');
    stop = await configureRunListStore(store, { debounceMs: 0 });
    trainedPage();
    setOverlaid('run-1', true);
    await new Promise((r) => setTimeout(r, 5));
    const msgs = get().errors.filter((e) => e.code === 'run-list');
    expect(msgs).toHaveLength(1);
    expect(msgs[0]!.count).toBe(1);
    expect(msgs[0]!.message).toMatch(/could not be kept for the next page load: The quota/);
    expect(get().runs).toHaveLength(1);
  });
});
