/**
 * Module-level actions: callable from components, tests and the lab hook without hooks. They
 * own the link to the one Trainer and route its messages into the store.
 */
import type { ExperimentConfig, LiveParam } from '../core/config';
import type { RunFile } from '../core/runfile';
import { MAX_RUN_FILE_BYTES, validateRunFile } from '../core/runfile';
import { parseExperimentParams } from '../core/url';
import type { Trainer } from '../client/trainer';
import type { ManualOverride } from '../core/types';
import type { FromWorker } from '../protocol/messages';
import { applyMessage, initialRunData, isRunDataMessage, runDataFromFile } from './reduce';
import type { LabState, RunData } from './store';
import { useLabStore } from './store';
import type { ErrorSource, LabError } from './ui-slice';
import { withErrors } from './ui-slice';
import { splitPageParams } from './url-state';

let trainer: Trainer | null = null;
let unsubscribe: (() => void) | null = null;
/** `init` calls not yet answered by `ready` (or a fatal error); run messages are dropped meanwhile. */
let pendingInits = 0;
let autoplayOnReady = false;
/** The live run's data while an imported run is on screen; trainer messages keep updating it. */
let stash: RunData | null = null;

const get = useLabStore.getState;
const set = useLabStore.setState;

/**
 * Trainer messages can arrive hundreds of times a second (a small model evaluates every few
 * milliseconds). Their run-data changes are reduced into `patch` at once and committed to the
 * store at most every `commitMs`, so React and the canvases redraw a few times a second however
 * fast training goes. 0 commits every message at once (Node tests).
 */
let commitMs = typeof window === 'undefined' ? 0 : 100;
let patch: Partial<LabState> | null = null;
let commitTimer: ReturnType<typeof setTimeout> | null = null;

export function configureMessageCommit(ms: number): void {
  flushMessages();
  commitMs = ms;
}

/** Commits buffered message changes to the store now (the lab hook calls this before reading). */
export function flushMessages(): void {
  if (commitTimer !== null) clearTimeout(commitTimer);
  commitTimer = null;
  if (!patch) return;
  const p = patch;
  patch = null;
  set(p);
}

/** Drops buffered message changes (they belong to a run that is being replaced). */
function discardMessages(): void {
  if (commitTimer !== null) clearTimeout(commitTimer);
  commitTimer = null;
  patch = null;
}

/** The state as it will be after the next commit. */
function liveData(): LabState {
  return patch ? { ...get(), ...patch } : get();
}

function buffer(change: (s: LabState) => Partial<LabState>): void {
  patch = { ...patch, ...change(liveData()) };
  if (commitMs <= 0) flushMessages();
  else commitTimer ??= setTimeout(flushMessages, commitMs);
}

/** A key for comparing step times: same policy, backend and model shape. */
export function measureKey(config: ExperimentConfig, backend: string): string {
  const { policy, layers, heads, dModel, dFF, seqLen, vocab, batch } = config;
  return `${policy}|${backend}|${layers}x${heads}x${dModel}x${dFF}x${seqLen}x${vocab}x${batch}`;
}

export function addErrors(errors: Omit<LabError, 'id' | 'count'>[]): void {
  if (errors.length > 0) set((s) => withErrors(s, errors));
}

function addError(source: ErrorSource, message: string, code: string | null = null, fatal = false): void {
  addErrors([{ source, code, message, fatal }]);
}

function handleMessage(msg: FromWorker): void {
  if (msg.type === 'exported') return;
  if (msg.type === 'error') {
    addError('trainer', msg.message, msg.code, msg.fatal);
    if (msg.fatal) pendingInits = 0;
  }
  if (msg.type === 'ready') {
    pendingInits = Math.max(0, pendingInits - 1);
    if (pendingInits > 0) return;
  } else if (pendingInits > 0 && isRunDataMessage(msg)) {
    return;
  }
  if (stash) {
    stash = { ...stash, ...applyMessage(stash, msg) };
  } else {
    buffer((s) => applyMessage(s, msg));
  }
  if (msg.type === 'ready') {
    const { alpha, beta } = msg.config;
    set((s) => ({ settings: { ...s.settings, alpha, beta } }));
    if (autoplayOnReady && !stash) trainer?.play();
    autoplayOnReady = false;
  }
  if (msg.type === 'metrics' && msg.medianStepMs !== null) {
    const d = stash ?? liveData();
    if (d.backend) {
      const key = measureKey(d.runConfig, d.backend.backend);
      const ms = msg.medianStepMs;
      if (liveData().measured[key] !== ms) buffer((s) => ({ measured: { ...s.measured, [key]: ms } }));
    }
  }
}

/** Drops the current trainer (disposing it) and forgets its pending work. */
function disconnectTrainer(): void {
  unsubscribe?.();
  unsubscribe = null;
  trainer?.dispose();
  trainer = null;
  pendingInits = 0;
  stash = null;
}

/** Connects a trainer (replacing any previous one) and records where it trains. */
export function connectTrainer(t: Trainer): void {
  if (trainer !== t) disconnectTrainer();
  trainer = t;
  unsubscribe = t.subscribe(handleMessage);
  set({ where: t.where });
}

/**
 * Starts the lab from a page's query string: parses the experiment (bad fields fall back to
 * defaults and are reported), creates the trainer and initialises it.
 */
export function bootLab(search: string, makeTrainer: (opts: { preferWorker: boolean }) => Trainer): void {
  const { experiment, page } = splitPageParams(new URLSearchParams(search).entries());
  const parsed = parseExperimentParams(experiment);
  const passThrough: [string, string][] = [
    ...page,
    ...Object.entries(parsed.extras).map(([k, v]): [string, string] => [k, v]),
  ];
  set({ settings: parsed.config, passThrough });
  if (parsed.errors.length > 0) {
    addErrors(parsed.errors.map((e) => ({ source: 'url', code: e.field, message: e.message, fatal: false })));
  }
  const preferWorker = !page.some(([k, v]) => k === 'worker' && (v === '0' || v === 'false'));
  trainerFactory = () => makeTrainer({ preferWorker });
  disconnectTrainer();
  autoplayOnReady = parsed.config.autoplay;
  startRun(parsed.config);
}

let trainerFactory: (() => Trainer) | null = null;

/** The connected trainer, created on first use; null (with a fatal error shown) when that fails. */
function ensureTrainer(): Trainer | null {
  if (trainer || !trainerFactory) return trainer;
  try {
    connectTrainer(trainerFactory());
  } catch (e) {
    addError('trainer', `The trainer could not be created: ${e instanceof Error ? e.message : String(e)}.`, 'internal', true);
  }
  return trainer;
}

function startRun(config: ExperimentConfig): void {
  discardMessages();
  stash = null;
  set((s) => ({
    ...initialRunData(config),
    view: 'live',
    importedName: null,
    errors: s.errors.filter((e) => e.source === 'url'),
  }));
  const t = ensureTrainer();
  if (!t) {
    set({ phase: 'failed' });
    return;
  }
  pendingInits++;
  t.init(config);
}

/** Restarts from step 0 with the settings on screen (α, β as the sliders show them); the change log starts empty. */
export function reset(): void {
  startRun({ ...get().settings, events: [] });
}

/** Restarts the run exactly as the current link describes it: step-0 values plus every logged change. */
export function replay(config: ExperimentConfig): void {
  set({ settings: config });
  startRun(config);
}

/** New settings (policy, K, seed, model & data) and a restart with them. */
export function applySettings(patch: Partial<ExperimentConfig>): void {
  set((s) => ({ settings: { ...s.settings, ...patch } }));
  reset();
}

export function play(): void {
  if (get().view === 'live') trainer?.play();
}

export function pause(): void {
  trainer?.pause();
}

export function stepOnce(): void {
  if (get().view === 'live') trainer?.step(1);
}

/** A slider value: shown at once, applied by the trainer at its next evaluation (or now, if paused). */
export function setLiveParam(name: LiveParam, value: number): void {
  set((s) => ({ settings: { ...s.settings, [name]: value } }));
  if (get().view === 'live') trainer?.setParam(name, value);
}

export function overrideModule(id: string, mode: ManualOverride | null): void {
  if (get().view === 'live') trainer?.override(id, mode);
}

export function selectModule(id: string | null): void {
  set({ selectedModule: id });
}

export function dismissError(id: number): void {
  set((s) => ({ errors: s.errors.filter((e) => e.id !== id) }));
}

export function dismissErrors(source?: ErrorSource): void {
  set((s) => ({ errors: source ? s.errors.filter((e) => e.source !== source) : [] }));
}

/** The live run as a run file. Rejects when the trainer does not answer within `timeoutMs`. */
export async function exportRun(timeoutMs = 60_000): Promise<RunFile> {
  if (!trainer) throw new Error('no trainer is running');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`the trainer did not answer within ${timeoutMs / 1000} s`)), timeoutMs);
  });
  try {
    return await Promise.race([trainer.exportRun(), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function reportError(source: ErrorSource, message: string): void {
  addError(source, message);
}

/**
 * Reads a run file's text, validates it and shows it read-only. Problems are shown in the error
 * panel as sentences; returns whether the run is now on screen.
 */
export function importRunText(text: string, name: string): boolean {
  set((s) => ({ errors: s.errors.filter((e) => e.source !== 'import') }));
  if (text.length > MAX_RUN_FILE_BYTES) {
    addError('import', `${name} is ${(text.length / 2 ** 20).toFixed(0)} MB, more than the ${MAX_RUN_FILE_BYTES / 2 ** 20} MB a run file may have.`);
    return false;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    addError('import', `${name} could not be imported: it is not JSON (${e instanceof Error ? e.message : String(e)}).`);
    return false;
  }
  let run: RunFile;
  try {
    run = validateRunFile(json);
  } catch (e) {
    addError('import', `${name} could not be imported. ${e instanceof Error ? e.message : String(e)}`);
    return false;
  }
  showImportedRun(run, name);
  return true;
}

/** Shows a validated run file read-only; the live run is paused and kept behind it. */
export function showImportedRun(run: RunFile, name: string): void {
  flushMessages();
  const s = get();
  if (!stash) {
    trainer?.pause();
    stash = pickRunData(s);
  }
  set({ ...runDataFromFile(run), view: 'imported', importedName: name, selectedModule: null });
}

/** Back from an imported run to the live one (paused where it was). */
export function backToLive(): void {
  if (!stash) return;
  const live = stash;
  stash = null;
  set({ ...live, view: 'live', importedName: null, selectedModule: null });
}

function pickRunData(s: RunData): RunData {
  const {
    phase, running, step, backend, modules, flopsPerVanillaStep, flopsPerEvaluation, probeOutputs,
    runConfig, events, live, medianStepMs, metric, modelView, loading, metrics, validation, evaluations, decisions,
  } = s;
  return {
    phase, running, step, backend, modules, flopsPerVanillaStep, flopsPerEvaluation, probeOutputs,
    runConfig, events, live, medianStepMs, metric, modelView, loading, metrics, validation, evaluations, decisions,
  };
}
