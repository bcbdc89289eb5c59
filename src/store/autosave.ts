/**
 * Autosave: the worker posts a checkpoint every {@link AUTOSAVE_EVERY_EVALUATIONS} scheduled
 * evaluations (at most one per `AUTOSAVE_MIN_INTERVAL_MS`) and whenever training stops; the page
 * writes it to the run store (IndexedDB) under the live run's id, one write at a time, keeps the
 * newest {@link MAX_SAVED_RUNS} runs, and offers "Resume at step S" when a link of a saved run is
 * opened or the live run's worker or GPU device is lost. A failed write (a full disk: the quota)
 * is said in the error panel and beside the list, never dropped silently; training goes on.
 */
import type { ExperimentConfig, RunEvent } from '../core/config';
import { checkpointBytes } from '../core/checkpoint';
import { FAMILIES } from '../core/families/descriptors';
import { findPreset, matchingPreset } from '../core/presets';
import type { FromWorker } from '../protocol/messages';
import type { RunStore, SavedRun, SavedRunMeta } from '../storage/run-store';
import { isQuotaError } from '../storage/run-store';
import { presetParam } from './preset-state';
import type { ResumeOffer } from './saved-slice';
import { useLabStore } from './store';
import { withErrors } from './ui-slice';
import { shareableConfig } from './url-state';

const get = useLabStore.getState;
const set = useLabStore.setState;

/** Scheduled evaluations between two autosaves (and every pause saves). */
export const AUTOSAVE_EVERY_EVALUATIONS = 5;
/** Saved runs kept; saving one more deletes the one saved longest ago. */
export const MAX_SAVED_RUNS = 10;

/** The run store the page saves to (null: saving is off, as in Node tests); lists its runs. */
export async function configureRunStore(store: RunStore | null): Promise<void> {
  set({ runStore: store, savedRuns: [] });
  await refreshSavedRuns();
}

/** A fresh id for a run started on this page. */
export function newRunId(): string {
  const c = globalThis.crypto as Crypto | undefined;
  return c?.randomUUID
    ? c.randomUUID()
    : `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
}

function storageError(message: string, code: 'storage-quota' | 'storage'): void {
  set((s) => ({ ...withErrors(s, [{ source: 'storage', code, message, fatal: false }]) }));
}

/**
 * A failed write or read of the run store, as the page says it: a full store (the quota) says
 * what to do about it; anything else says what the browser said.
 */
export function storageErrorMessage(e: unknown, bytes: number | null): string {
  const size = bytes === null ? '' : ` (this save needs about ${formatBytes(bytes)})`;
  if (isQuotaError(e)) {
    return (
      `The run could not be saved: this browser's storage for the lab is full${size}. ` +
      'Training goes on, unsaved. Delete saved runs under "Saved runs" (or free disk space) ' +
      'and the next save (at the next pause, or after 5 more evaluations) is tried again.'
    );
  }
  const what = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  return (
    `The run could not be saved (${what})${size}. Training goes on, unsaved; the browser may ` +
    'block storage for this page (a private window, or storage turned off for the site).'
  );
}

/** `n` bytes in words: 812 B, 14.2 kB, 3.1 MB. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} B`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} kB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

/** The store's list, newest save first; a store that cannot be read is said once. */
export async function refreshSavedRuns(): Promise<void> {
  const store = get().runStore;
  if (!store) return;
  try {
    const savedRuns = await store.list();
    if (get().runStore === store) set({ savedRuns });
  } catch (e) {
    storageError(storageErrorMessage(e, null), 'storage');
  }
}

/** The name the list gives a run: its preset's label, or "custom <family>". */
function runName(config: ExperimentConfig, preset: string | null): string {
  const p = preset === null ? undefined : findPreset(preset);
  return p ? p.label : `custom ${FAMILIES[config.model].label}`;
}

/** A checkpoint from the live run's trainer: saved under the run's id (queued behind a write). */
export function saveCheckpoint(msg: Extract<FromWorker, { type: 'checkpoint' }>): void {
  const s = get();
  if (!s.runStore || !s.runId) return;
  const c = msg.checkpoint;
  const preset = presetParam(s.passThrough) ?? matchingPreset(c.config)?.id ?? null;
  const meta: SavedRunMeta = {
    id: s.runId,
    preset,
    name: runName(c.config, preset),
    step: c.session.step,
    savedAt: Date.now(),
    startedAt: s.runStartedAt,
    bytes: checkpointBytes(c),
    backend: c.backend.backend,
    link: shareableConfig(c.config, c.session.events),
  };
  const job = { run: { meta, checkpoint: c }, readMs: msg.ms };
  if (s.saving) set({ nextSave: job });
  else void writeSaves(job);
}

async function writeSaves(first: { run: SavedRun; readMs: number }): Promise<void> {
  set({ saving: true });
  let job: typeof first | null = first;
  while (job) {
    await writeSave(job.run, job.readMs);
    job = get().nextSave;
    set({ nextSave: null });
  }
  set({ saving: false });
}

async function writeSave(run: SavedRun, readMs: number): Promise<void> {
  const store = get().runStore;
  if (!store) return;
  const t0 = performance.now();
  try {
    await store.put(run);
  } catch (e) {
    const message = storageErrorMessage(e, run.meta.bytes);
    set({ saveError: message });
    storageError(message, isQuotaError(e) ? 'storage-quota' : 'storage');
    return;
  }
  const { id, step, bytes } = run.meta;
  const writeMs = performance.now() - t0;
  set((s) => ({
    lastSave: { id, step, at: run.meta.savedAt, bytes, readMs, writeMs },
    saveError: null,
    // An offer to resume this run moves to its newest save.
    resumeOffer: s.resumeOffer?.id === id ? { ...s.resumeOffer, step } : s.resumeOffer,
  }));
  await dropOldest(store, id);
  await refreshSavedRuns();
}

/** Keeps the newest {@link MAX_SAVED_RUNS} saves (never the one just written). */
async function dropOldest(store: RunStore, keep: string): Promise<void> {
  try {
    const all = await store.list();
    const old = all.filter((m) => m.id !== keep).slice(MAX_SAVED_RUNS - 1);
    for (const m of old) await store.delete(m.id);
  } catch (e) {
    storageError(storageErrorMessage(e, null), 'storage');
  }
}

/** Resolves once no save is being written (tests; the export of a stopped run). */
export function savesSettled(): Promise<void> {
  if (!get().saving) return Promise.resolve();
  return new Promise((resolve) => {
    const off = useLabStore.subscribe((s) => {
      if (s.saving) return;
      off();
      resolve();
    });
  });
}

/** Deletes a saved run (and an offer to resume it). */
export async function deleteSavedRun(id: string): Promise<void> {
  const store = get().runStore;
  if (!store) return;
  try {
    await store.delete(id);
  } catch (e) {
    storageError(storageErrorMessage(e, null), 'storage');
  }
  set((s) => ({
    resumeOffer: s.resumeOffer?.id === id ? null : s.resumeOffer,
    lastSave: s.lastSave?.id === id ? null : s.lastSave,
  }));
  await refreshSavedRuns();
}

/** A saved run with its checkpoint; null (said in the error panel) when it cannot be read. */
export async function loadSavedRun(id: string): Promise<SavedRun | null> {
  const store = get().runStore;
  if (!store) return null;
  try {
    const run = await store.get(id);
    if (!run) storageError('That saved run is no longer in this browser’s storage.', 'storage');
    return run;
  } catch (e) {
    storageError(
      `The saved run could not be read (${e instanceof Error ? e.message : String(e)}).`,
      'storage',
    );
    return null;
  }
}

/** An event as a comparable string. */
function eventKey(e: RunEvent): string {
  return e.name === 'override'
    ? `${e.step}:override:${e.module}:${e.mode}`
    : `${e.step}:${e.name}:${e.value}`;
}

/** Fields that say how a run is driven, not what it is (compared apart, or not at all). */
const NOT_COMPARED: ReadonlySet<string> = new Set(['events', 'autoplay', 'stopAt']);

/**
 * Whether opening `link` asks for saved run `meta`: the same experiment (every field but the
 * run control: events, autoplay, stopAt), with the same changes before the saved step (changes
 * at or after it may be newer than the save, or still to replay).
 */
export function linkMatches(meta: SavedRunMeta, link: ExperimentConfig): boolean {
  const keys = new Set([...Object.keys(link), ...Object.keys(meta.link)]);
  for (const k of keys) {
    if (NOT_COMPARED.has(k)) continue;
    const a = (link as Record<string, unknown>)[k];
    const b = (meta.link as Record<string, unknown>)[k];
    if (String(a) !== String(b)) return false;
  }
  const before = (events: readonly RunEvent[]) =>
    events
      .filter((e) => e.step < meta.step)
      .map(eventKey)
      .sort()
      .join('|');
  return before(link.events) === before(meta.link.events);
}

/** After boot: the newest save of the link's run, if any, is offered ("Resume at step S"). */
export async function offerResumeFor(link: ExperimentConfig): Promise<void> {
  await refreshSavedRuns();
  const meta = get().savedRuns.find((m) => m.step > 0 && linkMatches(m, link));
  if (meta) set({ resumeOffer: offerOf(meta, 'link') });
}

function offerOf(
  meta: Pick<SavedRunMeta, 'id' | 'step' | 'savedAt' | 'name'>,
  reason: ResumeOffer['reason'],
): ResumeOffer {
  return { id: meta.id, step: meta.step, savedAt: meta.savedAt, name: meta.name, reason };
}

/** The live run stopped with its worker or device: its last save, if any, is offered. */
export async function offerAfterStop(reason: 'worker-crashed' | 'device-lost'): Promise<void> {
  const runId = get().runId;
  await savesSettled();
  const s = get();
  if (s.runId !== runId) return;
  const last = s.lastSave;
  if (!last || last.id !== s.runId) return;
  const meta = s.savedRuns.find((m) => m.id === last.id);
  set({
    resumeOffer: offerOf(
      { id: last.id, step: last.step, savedAt: last.at, name: meta?.name ?? 'this run' },
      reason,
    ),
  });
}

export function dismissResumeOffer(): void {
  set({ resumeOffer: null });
}
