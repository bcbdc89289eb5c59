/**
 * The run list survives a reload: the kept runs, the ticked overlays and the loss chart's
 * options, with the live run as one more entry, are written to the run-list store (IndexedDB)
 * {@link RUN_LIST_SAVE_MS} after the list changes (a slider drag is one write), every {@link RUN_LIST_LIVE_SAVE_MS} while the live run trains,
 * and when the page is hidden or closed (`pagehide`: a reload, a closed tab, a phone switching
 * apps; a write started there may not finish before the page goes, hence the periodic ones). On the next load they are read back, checked entry by
 * entry (a record written by an older page version, or damaged, drops what does not parse and
 * says so), and put before the runs kept since.
 */
import { z } from 'zod';
import { ExperimentSchema } from '../core/config';
import type { RunListStore } from '../storage/run-list-store';
import { flushMessages } from './actions';
import { entryFromRunData, LIVE_KEY, MAX_CURVE_POINTS, MAX_RUNS, withRuns } from './run-list';
import type { ChartX, RunEntry } from './runs-slice';
import { initialRunsState } from './runs-slice';
import type { LabState } from './store';
import { useLabStore } from './store';
import { withErrors } from './ui-slice';

const get = useLabStore.getState;
const set = useLabStore.setState;

/** The version of the stored record; a record of another version is not read. */
export const RUN_LIST_RECORD_VERSION = 1;

/** Debounce of the writes after a change of the list (ms). */
export const RUN_LIST_SAVE_MS = 300;
/** While the live run trains, its entry is written at most this often (ms). */
export const RUN_LIST_LIVE_SAVE_MS = 5000;

/** Where a restored run of the page's own came from, as the list shows it. */
export const RESTORED_ORIGIN = 'before reload';

const finite = z.number().refine(Number.isFinite, 'not a finite number');
const nullableNumber = z.number().nullable();
/** A curve's value: IndexedDB keeps NaN (a diverged loss, unknown FLOPs); JSON would write null. */
const value = z.union([z.number(), z.nan(), z.null()]).transform((x) => x ?? NaN);
const curve = z
  .object({
    step: z.array(finite).max(MAX_CURVE_POINTS),
    flops: z.array(value).max(MAX_CURVE_POINTS),
    value: z.array(value).max(MAX_CURVE_POINTS),
  })
  .refine((c) => c.flops.length === c.step.length && c.value.length === c.step.length, {
    message: 'a curve whose columns differ in length',
  });

const EntrySchema = z.object({
  id: z.string().regex(/^run-\d{1,9}$/),
  seq: z.number().int().min(0),
  source: z.enum(['session', 'file', 'report']),
  name: z.string().max(400),
  origin: z.string().max(400).nullable(),
  preset: z.string().max(100).nullable(),
  presetChanged: z.array(z.string().max(100)).max(100),
  config: ExperimentSchema,
  metric: z.object({ name: z.enum(['perplexity', 'accuracy']), higherIsBetter: z.boolean() }),
  steps: z.number().int().min(0),
  finalMetric: nullableNumber,
  finalStep: nullableNumber,
  totalFlops: nullableNumber,
  vanillaFlops: nullableNumber,
  loss: curve.nullable(),
  validation: curve,
  keptAt: z.number(),
});

const RecordSchema = z.object({
  version: z.literal(RUN_LIST_RECORD_VERSION),
  runs: z.array(z.unknown()).max(MAX_RUNS + 1),
  overlaid: z.array(z.string().max(40)).max(MAX_RUNS + 2),
  chartX: z.enum(['step', 'flops']),
  smoothing: z.number().min(0).max(0.999),
  logLoss: z.boolean(),
});

/** What is stored. */
export interface RunListRecord {
  version: typeof RUN_LIST_RECORD_VERSION;
  runs: RunEntry[];
  overlaid: string[];
  chartX: ChartX;
  smoothing: number;
  logLoss: boolean;
}

/** A stored record, read back: the entries that parse, and how many did not. */
export interface ReadRunList {
  record: RunListRecord;
  dropped: number;
}

/**
 * Reads a stored record: null when there is none; throws (with what is wrong) when it is not a
 * run list of this version; otherwise the entries that parse (the others are counted).
 */
export function readRunListRecord(raw: unknown): ReadRunList | null {
  if (raw === undefined || raw === null) return null;
  const r = RecordSchema.safeParse(raw);
  if (!r.success) {
    const issue = r.error.issues[0];
    throw new Error(`${issue?.path.join('.') || 'record'}: ${issue?.message ?? 'not a run list'}`);
  }
  const runs: RunEntry[] = [];
  let dropped = 0;
  const ids = new Set<string>();
  for (const e of r.data.runs) {
    const p = EntrySchema.safeParse(e);
    if (p.success && !ids.has(p.data.id)) {
      ids.add(p.data.id);
      runs.push(p.data as RunEntry);
    } else dropped++;
  }
  return {
    record: {
      ...r.data,
      runs,
      overlaid: r.data.overlaid.filter((id) => ids.has(id)),
    },
    dropped,
  };
}

/** The record of the page's list now; with `live`, the live run as one more entry. */
export function runListRecord(s: LabState, live: boolean): RunListRecord {
  let runs = s.runs;
  let overlaid = s.overlaid.filter((id) => id !== LIVE_KEY);
  if (live && s.view === 'live') {
    const entry = entryFromRunData(s, 'session', s.runSeq);
    if (entry) {
      const kept = withRuns(runs, [entry], overlaid);
      runs = kept.runs;
      overlaid = s.overlaid.includes(LIVE_KEY) ? [...kept.overlaid, entry.id] : kept.overlaid;
    }
  }
  return {
    version: RUN_LIST_RECORD_VERSION,
    runs,
    overlaid,
    chartX: s.chartX,
    smoothing: s.smoothing,
    logLoss: s.logLoss,
  };
}

/**
 * `restored` put before the runs kept on this page so far. When the page kept none yet (the usual
 * case: the list is read at load), the restored ids and colours stay; otherwise the restored
 * runs are renumbered after the page's. The chart options come back unless changed meanwhile.
 */
export function mergeRestored(
  s: LabState,
  restored: RunListRecord,
): Pick<LabState, 'runs' | 'overlaid' | 'runSeq' | 'chartX' | 'smoothing' | 'logLoss'> {
  const renumber = s.runs.length > 0;
  const ids = new Map<string, string>();
  let seq = s.runSeq;
  const runs = restored.runs.map((r, i) => {
    const mark = r.source === 'session' && r.origin === null ? { origin: RESTORED_ORIGIN } : {};
    if (!renumber) return { ...r, ...mark };
    const n = s.runSeq + i;
    ids.set(r.id, `run-${n}`);
    return { ...r, ...mark, id: `run-${n}`, seq: n };
  });
  seq = Math.max(seq, ...runs.map((r) => r.seq + 1));
  const overlaidBack = restored.overlaid.map((id) => ids.get(id) ?? id);
  const kept = withRuns(runs, s.runs, [...overlaidBack, ...s.overlaid]);
  const initial = initialRunsState();
  return {
    ...kept,
    runSeq: seq,
    chartX: s.chartX === initial.chartX ? restored.chartX : s.chartX,
    smoothing: s.smoothing === initial.smoothing ? restored.smoothing : s.smoothing,
    logLoss: s.logLoss === initial.logLoss ? restored.logLoss : s.logLoss,
  };
}

function liveChanged(a: LabState, b: LabState): boolean {
  return a.metrics !== b.metrics || a.validation !== b.validation || a.runConfig !== b.runConfig;
}

function listChanged(a: LabState, b: LabState): boolean {
  return (
    a.runs !== b.runs ||
    a.overlaid !== b.overlaid ||
    a.chartX !== b.chartX ||
    a.smoothing !== b.smoothing ||
    a.logLoss !== b.logLoss
  );
}

function storageError(message: string): void {
  set((s) => withErrors(s, [{ source: 'storage', code: 'run-list', message, fatal: false }]));
}

/**
 * Restores the run list from `store` and keeps it there from now on; returns a function that
 * stops writing (tests). Null: nothing is kept (Node tests, browsers without IndexedDB).
 * `target`, when given, gets a `pagehide` listener that saves the list with the live run.
 */
export async function configureRunListStore(
  store: RunListStore | null,
  opts: {
    debounceMs?: number;
    liveMs?: number;
    target?: Pick<Window, 'addEventListener' | 'removeEventListener'>;
  } = {},
): Promise<() => void> {
  if (!store) return () => {};
  const debounceMs = opts.debounceMs ?? RUN_LIST_SAVE_MS;
  const liveMs = opts.liveMs ?? RUN_LIST_LIVE_SAVE_MS;
  let failed = false;
  const write = (live: boolean): Promise<void> => {
    if (live) flushMessages();
    return store.save(runListRecord(get(), live)).then(
      () => {
        failed = false;
      },
      (e: unknown) => {
        // One message per run of failures, not one per change.
        if (failed) return;
        failed = true;
        storageError(
          `The run list could not be kept for the next page load: ${e instanceof Error ? e.message : String(e)}. ` +
            'The runs stay listed on this page; export them (Run list → CSV) to keep them.',
        );
      },
    );
  };
  try {
    const read = readRunListRecord(await store.load());
    if (read) {
      set((s) => mergeRestored(s, read.record));
      if (read.dropped > 0) {
        storageError(
          `${read.dropped} run${read.dropped === 1 ? '' : 's'} of the run list saved before this page load could not be read (an older page version, or damaged) and ${read.dropped === 1 ? 'was' : 'were'} left out.`,
        );
      }
    }
  } catch (e) {
    storageError(
      `The run list saved before this page load could not be read (${e instanceof Error ? e.message : String(e)}); the list starts empty.`,
    );
  }
  let timer: ReturnType<typeof setTimeout> | null = null;
  let due = Infinity;
  const schedule = (ms: number) => {
    const at = Date.now() + ms;
    if (timer !== null && due <= at) return;
    if (timer !== null) clearTimeout(timer);
    due = at;
    timer = setTimeout(() => {
      timer = null;
      due = Infinity;
      void write(true);
    }, ms);
  };
  const unsubscribe = useLabStore.subscribe((s, prev) => {
    if (listChanged(s, prev)) schedule(debounceMs);
    else if (liveChanged(s, prev)) schedule(liveMs);
  });
  const onHide = () => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    void write(true);
  };
  opts.target?.addEventListener('pagehide', onHide);
  return () => {
    unsubscribe();
    if (timer !== null) clearTimeout(timer);
    opts.target?.removeEventListener('pagehide', onHide);
  };
}

/** Saves the list now (with the live run when `live`), as a page hide does (tests). */
export async function saveRunListNow(store: RunListStore, live: boolean): Promise<void> {
  if (live) flushMessages();
  await store.save(runListRecord(get(), live));
}
