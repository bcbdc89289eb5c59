/**
 * Module-level actions: callable from components, tests and the lab hook without hooks. They
 * own the link to the one Trainer and route its messages into the store. They keep no state of
 * their own: the trainer, its message buffer and pending work live in the store's link slice
 * (`link-slice.ts`), so `getInitialState` resets them too.
 */
import type { ExperimentConfig, LiveParam } from '../core/config';
import type { RunFile } from '../core/runfile';
import { runFileTooLarge } from '../core/runfile';
import type { NamedBlob } from '../client/run-file-reader';
import { readRunFile } from '../client/run-file-reader';
import type { RunImportResult } from './run-import';
import { readRunFileText } from './run-import';
import type { HideKey, ThemeName } from '../core/url';
import { presetConfig } from '../core/presets';
import type { Trainer } from '../client/trainer';
import type { ManualOverride } from '../core/types';
import type { FromWorker } from '../protocol/messages';
import type { TrainerLink } from './link-slice';
import { releaseLink } from './link-slice';
import { shownParam } from './run-slice';
import { applyMessage, initialRunData, isRunDataMessage, runDataFromFile } from './reduce';
import type { LabState, RunData } from './store';
import { useLabStore } from './store';
import type { ErrorSource, LabError } from './ui-slice';
import { withErrors } from './ui-slice';
import { readLink } from './url-state';
import { keepRun } from './run-list';
import { withPresetParam } from './preset-state';
import type { StepCost } from '../core/step-cost';
import { needsConfirmation } from '../core/step-cost';
import type { StepCostFields } from './step-cost';
import { runStepCost } from './step-cost';
import type { RunCheckpoint } from '../core/checkpoint';
import {
  AUTOSAVE_EVERY_EVALUATIONS,
  loadSavedRun,
  newRunId,
  offerAfterStop,
  offerResumeFor,
  saveCheckpoint,
  savesSettled,
} from './autosave';
import { compareLockstep, readCompareParam, startCompareArm } from './compare';
import { withoutForkParams } from '../core/fork';

const get = useLabStore.getState;
const set = useLabStore.setState;

/** The connected trainer; null before boot, after a failed creation and after `resetStore`. */
function trainer(): Trainer | null {
  return get().link?.trainer ?? null;
}

/**
 * Trainer messages can arrive hundreds of times a second (a small model evaluates every few
 * milliseconds). Their run-data changes are reduced into the link's `patch` at once and committed
 * to the store at most every `commitMs`, so React and the canvases redraw a few times a second
 * however fast training goes. 0 commits every message at once (Node tests).
 */
export function configureMessageCommit(ms: number): void {
  flushMessages();
  set({ commitMs: ms });
}

/** Commits buffered message changes to the store now (the lab hook calls this before reading). */
export function flushMessages(): void {
  const link = get().link;
  if (link) commit(link);
}

/** Commits `link`'s buffered changes, unless the link has been dropped meanwhile. */
function commit(link: TrainerLink): void {
  if (link.commitTimer !== null) clearTimeout(link.commitTimer);
  link.commitTimer = null;
  const p = link.patch;
  link.patch = null;
  if (p && get().link === link) set(p);
}

/** Drops buffered message changes (they belong to a run that is being replaced). */
function discardMessages(): void {
  const link = get().link;
  if (!link) return;
  if (link.commitTimer !== null) clearTimeout(link.commitTimer);
  link.commitTimer = null;
  link.patch = null;
}

/** The state as it will be after the next commit. */
function liveData(): LabState {
  const patch = get().link?.patch;
  return patch ? { ...get(), ...patch } : get();
}

function buffer(link: TrainerLink, change: (s: LabState) => Partial<LabState>): void {
  link.patch = { ...link.patch, ...change(liveData()) };
  const ms = get().commitMs;
  if (ms <= 0) commit(link);
  else link.commitTimer ??= setTimeout(() => commit(link), ms);
}

/**
 * Whether a config field can change the measured time of a training step, for `measureKey`.
 * The trainer's ms/step is wall-clock over the steps between pushes, so it counts the step, the
 * mNTK evaluation every K steps (run by every policy, vanilla too, for the heatmap) and the
 * validation every `valEvery` steps. A record over every field, so a new config field does not
 * compile until it is classified here.
 *
 * `false` only for fields that cannot change vanilla's time (the only times read back, to put
 * beside a policy's): values rather than work (seed, lr, noise), run control (events, autoplay,
 * stopAt), the requested backend (the key has the backend actually used), and the policies' own
 * knobs (α, β — live, they change mid-run — warm-up, window, ref, stop, progSpan), which change
 * what a policy freezes, i.e. the saving being measured, never vanilla's step. Every family's
 * sizes are in, also those of the families a run does not use: a field counts unless it surely
 * does not change the time, since a missed comparison is better than a wrong one.
 */
const CHANGES_STEP_TIME: { readonly [F in keyof ExperimentConfig]-?: boolean } = {
  policy: true,
  model: true,
  data: true,
  layers: true,
  heads: true,
  dModel: true,
  dFF: true,
  seqLen: true,
  vocab: true,
  batch: true,
  experts: true,
  capacity: true,
  modules: true,
  hidden: true,
  activation: true,
  features: true,
  points: true,
  noise: false,
  testRatio: true,
  channels: true,
  fc: true,
  groupSize: true,
  images: true,
  progSpan: false,
  lr: false,
  alpha: false,
  beta: false,
  K: true,
  warmup: false,
  window: false,
  ref: false,
  stop: false,
  probe: true,
  R: true,
  kernel: true,
  seed: false,
  backend: false,
  valEvery: true,
  valBatches: true,
  autoplay: false,
  stopAt: false,
  events: false,
};

const STEP_TIME_FIELDS = (Object.keys(CHANGES_STEP_TIME) as (keyof ExperimentConfig)[]).filter(
  (f) => CHANGES_STEP_TIME[f],
);

/**
 * A key for comparing step times: the backend used and every config field that can change the
 * time of a step (`CHANGES_STEP_TIME`), so two runs share a key only when they do the same work —
 * a 2-layer and a 4-layer BERT, an MLP 8,8 and 32,32, a VGG 16,32 and 32,64 do not.
 */
export function measureKey(config: ExperimentConfig, backend: string): string {
  return [backend, ...STEP_TIME_FIELDS.map((f) => `${f}=${String(config[f])}`)].join('|');
}

export function addErrors(errors: Omit<LabError, 'id' | 'count'>[]): void {
  if (errors.length > 0) set((s) => withErrors(s, errors));
}

function addError(
  source: ErrorSource,
  message: string,
  code: string | null = null,
  fatal = false,
): void {
  addErrors([{ source, code, message, fatal }]);
}

function handleMessage(link: TrainerLink, msg: FromWorker): void {
  if (msg.type === 'exported') return;
  if (msg.type === 'error') {
    addError('trainer', msg.message, msg.code, msg.fatal);
    if (msg.fatal && get().pendingInits !== 0) set({ pendingInits: 0 });
    // The run is gone with its worker or device: its last save is offered to resume.
    if (msg.fatal && (msg.code === 'worker-crashed' || msg.code === 'device-lost'))
      void offerAfterStop(msg.code);
  }
  if (msg.type === 'ready') {
    const pendingInits = Math.max(0, get().pendingInits - 1);
    if (pendingInits !== get().pendingInits) set({ pendingInits });
    if (pendingInits > 0) return;
  } else if (get().pendingInits > 0 && isRunDataMessage(msg)) {
    return;
  }
  if (msg.type === 'checkpoint') {
    // The live run's, also while an imported run is on screen.
    saveCheckpoint(msg);
    return;
  }
  const stash = get().stash;
  if (stash) {
    set({ stash: { ...stash, ...applyMessage(stash, msg) } });
  } else if (msg.type === 'status') {
    // The step counter and running state show at once, not at the next commit: what the page
    // shows when Pause is pressed is where the run is (the trainer posts them every step or two).
    const change = applyMessage(liveData(), msg);
    if (link.patch) link.patch = { ...link.patch, ...change };
    set(change);
  } else {
    buffer(link, (s) => applyMessage(s, msg));
  }
  if (msg.type === 'ready') {
    const { alpha, beta } = msg.config;
    set((s) => ({ settings: { ...s.settings, alpha, beta } }));
    if (get().autoplayOnReady) {
      set({ autoplayOnReady: false });
      // Through the step-time guard: a link must not start an hour-long step unasked.
      if (!get().stash) play();
    }
  }
  if (msg.type === 'metrics' && msg.medianStepMs !== null) {
    const d = get().stash ?? liveData();
    if (d.backend) {
      const key = measureKey(d.runConfig, d.backend.backend);
      const ms = msg.medianStepMs;
      if (liveData().measured[key] !== ms)
        buffer(link, (s) => ({ measured: { ...s.measured, [key]: ms } }));
    }
  }
}

/**
 * Drops the current trainer (disposing it) and forgets its pending work. Changes it had buffered
 * are committed first (they were the store's to show).
 */
function disconnectTrainer(): void {
  const link = get().link;
  if (link) commit(link);
  set({ link: null, pendingInits: 0, stash: null });
  if (link) releaseLink(link);
}

/** Connects a trainer (replacing any previous one) and records where it trains. */
export function connectTrainer(t: Trainer): void {
  if (trainer() === t) return;
  disconnectTrainer();
  const unsubscribe = t.subscribe((msg) => {
    // Only the linked trainer's messages reach the store (not a trainer `resetStore` dropped).
    const link = get().link;
    if (link?.trainer === t) handleMessage(link, msg);
  });
  set({ link: { trainer: t, unsubscribe, patch: null, commitTimer: null }, where: t.where });
}

/**
 * Starts the lab from a page's address (`location.search + location.hash`: a plain query, a
 * compressed `#x=…` fragment or a plain one, `readLink`): parses the experiment (bad fields fall
 * back to defaults and are reported), creates the trainer and initialises it.
 */
export function bootLab(
  address: string,
  makeTrainer: (opts: { preferWorker: boolean }) => Trainer,
): void {
  const parsed = readLink(address);
  const page = parsed.page;
  const passThrough: [string, string][] = [
    ...page,
    ...Object.entries(parsed.extras).map(([k, v]): [string, string] => [k, v]),
  ];
  set({ settings: parsed.config, passThrough, page: parsed.flags });
  // A second arm (`compare=`), started beside each run (`startRun`).
  readCompareParam(page);
  if (parsed.errors.length > 0) {
    addErrors(
      parsed.errors.map((e) => ({
        source: 'url',
        code: e.field,
        message: e.message,
        fatal: false,
      })),
    );
  }
  const preferWorker = !page.some(([k, v]) => k === 'worker' && (v === '0' || v === 'false'));
  disconnectTrainer();
  set({
    makeTrainer: () => makeTrainer({ preferWorker }),
    autoplayOnReady: parsed.config.autoplay,
  });
  startRun(parsed.config);
  // A saved run of this very link is offered ("Resume at step S").
  void offerResumeFor(parsed.config);
}

/** The connected trainer, created on first use; null (with a fatal error shown) when that fails. */
function ensureTrainer(): Trainer | null {
  const { makeTrainer } = get();
  if (trainer() || !makeTrainer) return trainer();
  try {
    connectTrainer(makeTrainer());
  } catch (e) {
    addError(
      'trainer',
      `The trainer could not be created: ${e instanceof Error ? e.message : String(e)}.`,
      'internal',
      true,
    );
  }
  return trainer();
}

/**
 * Starts a run of `config`: a new one at step 0, or `resume`'s run where its checkpoint was taken
 * (saved as `runId`, started at `startedAt`). Either way the trainer autosaves it when the page
 * has a run store.
 */
function startRun(
  config: ExperimentConfig,
  resumed?: { checkpoint: RunCheckpoint; runId: string; startedAt: number },
  fork?: { step: number },
): void {
  // The run being replaced goes to the run list, with the messages still buffered for it.
  keepRun(pickRunData(get().stash ?? liveData()), 'session');
  discardMessages();
  set((s) => ({
    ...initialRunData(config),
    stash: null,
    view: 'live',
    importedName: null,
    costConfirm: null,
    errors: s.errors.filter((e) => e.source === 'url'),
    runId: resumed?.runId ?? newRunId(),
    runStartedAt: resumed?.startedAt ?? Date.now(),
    resumeOffer: null,
    lastSave: null,
    saveError: null,
    scrubStep: null,
  }));
  const t = ensureTrainer();
  if (!t) {
    set({ phase: 'failed' });
    return;
  }
  set((s) => ({ pendingInits: s.pendingInits + 1 }));
  t.init(config, {
    // Two arms are not autosaved (a save at every chunk end would slow the pair down).
    autosaveEvery: get().runStore && !get().compare ? AUTOSAVE_EVERY_EVALUATIONS : 0,
    fused: get().page.fused,
    ...(resumed ? { resume: resumed.checkpoint } : {}),
    ...(fork ? { fork } : {}),
  });
  startCompareArm(config);
}

/**
 * Restores saved run `id` as the live run, where its last save was taken (in a new worker after a
 * crash, on a new device after a device loss), and plays on when `play`. Resolves once the
 * trainer has answered (true: the run is back), false when it could not be read or restored.
 */
export async function resumeSavedRun(id: string, play = true): Promise<boolean> {
  const saved = await loadSavedRun(id);
  if (!saved) return false;
  // The run it replaces is paused first, so it is saved where it stopped (nothing lost).
  if ((get().stash ?? get()).running) {
    pause();
    await new Promise<void>((resolve) => {
      const off = useLabStore.subscribe((st) => {
        if (st.running) return;
        off();
        resolve();
      });
    });
  }
  await savesSettled();
  const { checkpoint, meta } = saved;
  set((s) => ({
    settings: checkpoint.config,
    passThrough: meta.preset
      ? withPresetParam(s.passThrough, meta.preset)
      : s.passThrough.filter(([k]) => k !== 'preset'),
    autoplayOnReady: play,
  }));
  startRun(checkpoint.config, { checkpoint, runId: id, startedAt: meta.startedAt });
  // Its save is the run's last one until it saves again (a crash before then offers it).
  const { step, savedAt: at, bytes } = meta;
  set({ lastSave: { id, step, at, bytes, readMs: null, writeMs: null } });
  const ok = await new Promise<boolean>((resolve) => {
    const done = (s: LabState) => {
      if (s.pendingInits > 0 || s.runId !== id) return s.runId !== id ? false : null;
      return s.phase === 'ready' ? true : s.phase === 'failed' ? false : null;
    };
    const now = done(get());
    if (now !== null) return resolve(now);
    const off = useLabStore.subscribe((s) => {
      const r = done(s);
      if (r === null) return;
      off();
      resolve(r);
    });
  });
  flushMessages();
  return ok;
}

/**
 * Starts a fork (store/fork.ts): from the worker's checkpoint at `fork.step`, or from an imported
 * run file's checkpoint (`resume`, already `asFork`ed). The run on screen goes to the run list, as
 * with every new run.
 */
export function startFork(
  config: ExperimentConfig,
  from: { fork: { step: number } } | { resume: RunCheckpoint },
): void {
  set({ settings: config });
  if ('fork' in from) startRun(config, undefined, from.fork);
  else startRun(config, { checkpoint: from.resume, runId: newRunId(), startedAt: Date.now() });
}

/** Restarts from step 0 with the settings on screen (α, β as the sliders show them); the change log starts empty. */
export function reset(): void {
  flushMessages();
  const s = get();
  // The live run's sliders (behind an imported run, its stash): pending values, else those in force.
  const run = s.stash ?? s;
  const [alpha, beta] = [shownParam(run, 'alpha'), shownParam(run, 'beta')];
  // A new run from step 0 is no fork: the link drops `fork` and `parent` (store/fork.ts).
  set({ passThrough: withoutForkParams(s.passThrough) });
  startRun({ ...s.settings, alpha, beta, events: [] });
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

/**
 * A preset's whole experiment (as `?preset=` gives it) and a restart with it; the link then names
 * the preset. The backend chosen stays (it is where the run trains, not what it is), and problems
 * of the link that opened the page go, since the run no longer comes from it.
 */
export function applyPreset(id: string): void {
  const config = presetConfig(id);
  if (!config) return;
  set((s) => ({
    settings: { ...config, backend: s.settings.backend },
    passThrough: withPresetParam(s.passThrough, id),
    errors: s.errors.filter((e) => e.source !== 'url'),
  }));
  reset();
}

/**
 * The live run's step time: measured (this run, or the same config earlier on the page:
 * `measured`), else estimated from its FLOPs; null before `ready` and for imported runs.
 */
export function liveStepCost(
  s: StepCostFields & Pick<LabState, 'measured'> = liveData(),
): StepCost | null {
  const earlier = s.backend ? s.measured[measureKey(s.runConfig, s.backend.backend)] : undefined;
  return runStepCost(s, earlier ?? null);
}

/**
 * Whether `action` must wait for the user: an average step (its share of the evaluations
 * included) would take longer than `CONFIRM_ABOVE_MS` and the long steps of this config were not
 * accepted yet. Then the dialog opens (`costConfirm`) and the action runs only from `confirmCost`.
 */
function heldForCost(action: 'play' | 'step'): boolean {
  const s = liveData();
  const cost = liveStepCost(s);
  if (!cost || !s.backend || !needsConfirmation(cost)) return false;
  if (s.costAccepted === measureKey(s.runConfig, s.backend.backend)) return false;
  const { msPerStep, msWithEvaluation, measured } = cost;
  set({ costConfirm: { action, msPerStep, msWithEvaluation, measured } });
  return true;
}

export function play(): void {
  if (get().view !== 'live' || heldForCost('play')) return;
  const pair = compareLockstep();
  if (pair) pair.play();
  else trainer()?.play();
}

/** Pauses the run (with a second arm: both, at the end of the chunk under way). */
export function pause(): void {
  const pair = compareLockstep();
  if (pair) pair.pause();
  else trainer()?.pause();
}

export function stepOnce(): void {
  if (get().view !== 'live' || heldForCost('step')) return;
  const pair = compareLockstep();
  if (pair) pair.step(1);
  else trainer()?.step(1);
}

/** The dialog's "Train anyway": the held-back action runs, and this config asks no more. */
export function confirmCost(): void {
  const c = get().costConfirm;
  const s = liveData();
  if (!c || !s.backend) return;
  set({ costConfirm: null, costAccepted: measureKey(s.runConfig, s.backend.backend) });
  if (get().view !== 'live') return;
  const pair = compareLockstep();
  if (c.action === 'play') (pair ?? trainer())?.play();
  else if (pair) pair.step(1);
  else trainer()?.step(1);
}

/** The dialog's "Cancel": nothing runs. */
export function cancelCost(): void {
  if (get().costConfirm) set({ costConfirm: null });
}

/** Hides the software-adapter notice for this page. */
export function dismissSoftwareNotice(): void {
  set({ softwareNoticeDismissed: true });
}

/**
 * A slider value: shown at once as pending, applied by the trainer at its next evaluation (or
 * now, if paused); it stops being pending when the trainer logs it. Moving a slider back to the
 * value in force leaves nothing pending (the trainer logs no change then).
 */
export function setLiveParam(name: LiveParam, value: number): void {
  if (get().view !== 'live') return;
  flushMessages();
  set((s) => {
    const pendingParams = { ...s.pendingParams };
    if (value === s.live[name]) delete pendingParams[name];
    else pendingParams[name] = value;
    return { settings: { ...s.settings, [name]: value }, pendingParams };
  });
  trainer()?.setParam(name, value);
}

export function overrideModule(id: string, mode: ManualOverride | null): void {
  if (get().view === 'live') trainer()?.override(id, mode);
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

/**
 * The live run as a run file (with `checkpoints`: the worker's checkpoints at evaluations too, for
 * forks). Rejects when the trainer does not answer within `timeoutMs`.
 */
export async function exportRun(
  timeoutMs = 60_000,
  opts: { checkpoints?: boolean } = {},
): Promise<RunFile> {
  const t = trainer();
  if (!t) throw new Error('no trainer is running');
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`the trainer did not answer within ${timeoutMs / 1000} s`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([t.exportRun(opts), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

export function reportError(source: ErrorSource, message: string): void {
  addError(source, message);
}

/**
 * Reads a run file's text, validates it and shows it read-only, on this thread. Problems are
 * shown in the error panel as sentences; returns whether the run is now on screen.
 */
export function importRunText(text: string, name: string): boolean {
  set((s) => ({ errors: s.errors.filter((e) => e.source !== 'import') }));
  return showImportResult(readRunFileText(text, name), name);
}

/**
 * Imports a picked run file: its size is checked before it is read; reading, parsing and the
 * checks run in a worker (`readRunFile`; on this thread without workers or with `worker=0`)
 * while the Share panel shows how far they are. One import at a time; returns whether the run
 * is now on screen.
 */
export async function importRunFile(file: NamedBlob): Promise<boolean> {
  if (get().importing) return false;
  set((s) => ({ errors: s.errors.filter((e) => e.source !== 'import') }));
  const tooLarge = runFileTooLarge(file.size, file.name);
  if (tooLarge) {
    addError('import', tooLarge);
    return false;
  }
  const inThread = get().passThrough.some(
    ([k, v]) => k === 'worker' && (v === '0' || v === 'false'),
  );
  set({ importing: { name: file.name, stage: 'reading', loaded: 0, total: file.size } });
  try {
    const result = await readRunFile(file, (p) => set({ importing: p }), { inThread });
    return showImportResult(result, file.name);
  } finally {
    set({ importing: null });
  }
}

function showImportResult(result: RunImportResult, name: string): boolean {
  if (!result.ok) {
    addError('import', result.message);
    return false;
  }
  showImportedData(result.data, name);
  return true;
}

/** Shows a validated run file read-only; the live run is paused and kept behind it. */
export function showImportedRun(run: RunFile, name: string): void {
  showImportedData(runDataFromFile(run), name);
}

function showImportedData(data: RunData, name: string): void {
  flushMessages();
  keepRun(data, 'file', name);
  const s = get();
  if (!s.stash) pause();
  set({
    stash: s.stash ?? pickRunData(s),
    ...data,
    view: 'imported',
    importedName: name,
    selectedModule: null,
    scrubStep: null,
  });
}

/** Back from an imported run to the live one (paused where it was). */
export function backToLive(): void {
  const live = get().stash;
  if (!live) return;
  set({
    ...live,
    stash: null,
    view: 'live',
    importedName: null,
    selectedModule: null,
    scrubStep: null,
  });
}

/** The run's own fields of the store state: every key a fresh run's data has. */
function pickRunData(s: RunData): RunData {
  const keys = Object.keys(initialRunData(s.runConfig)) as (keyof RunData)[];
  return Object.fromEntries(keys.map((k) => [k, s[k]])) as unknown as RunData;
}

/* ---- page: presenter mode, hidden parts, theme, shortcut sheet ---- */

/** Presenter mode on or off (kept in the link as `present=1`). */
export function setPresenter(on: boolean): void {
  set((s) => (s.page.present === on ? {} : { page: { ...s.page, present: on } }));
}

export function togglePresenter(): void {
  setPresenter(!get().page.present);
}

/** Hides or shows a part of the page (kept in the link as `hide=`). */
export function setHidden(key: HideKey, hidden: boolean): void {
  set((s) => {
    const has = s.page.hide.includes(key);
    if (has === hidden) return {};
    const hide = hidden ? [...s.page.hide, key] : s.page.hide.filter((k) => k !== key);
    return { page: { ...s.page, hide } };
  });
}

/**
 * The user's theme (the toggle). It replaces a theme the link forced, and is what the page opens
 * with next time (the caller stores it); null follows the system again.
 */
export function setThemeChoice(choice: ThemeName | null): void {
  set((s) => ({
    themeChoice: choice,
    page: s.page.theme === undefined ? s.page : { ...s.page, theme: undefined },
  }));
}

/** The system's colour preference (`prefers-color-scheme`), as the page reads it. */
export function setSystemDark(dark: boolean): void {
  if (get().systemDark !== dark) set({ systemDark: dark });
}

export function setShortcutsOpen(open: boolean): void {
  if (get().shortcutsOpen !== open) set({ shortcutsOpen: open });
}

/** Moves a live parameter by `delta` from the value the slider shows, within [min, max]. */
export function nudgeLiveParam(name: LiveParam, delta: number, min: number, max: number): void {
  const now = shownParam(get(), name);
  // Snap to the slider's grid (|delta|) so nudges from an off-grid value land on it.
  const step = Math.abs(delta);
  const next = Math.min(max, Math.max(min, Math.round((now + delta) / step) * step));
  const rounded = Number(next.toFixed(6));
  if (rounded !== now) setLiveParam(name, rounded);
}
