/**
 * Live A/B actions: the second arm's trainer (made by the same factory as the first: a worker, or
 * the in-thread fallback), its messages reduced into `compareRun` with the live run's reducers
 * and batched commits, and the lockstep that drives both arms (`compare-lockstep.ts`). The live
 * run's actions (`actions.ts`) call in here at the few points where a second arm changes what
 * they do: the link read at boot, a run started, Play / Pause / Step.
 *
 * Arm B is fixed by the link: arm A's experiment with the `compare=` fields changed, no logged
 * changes (`compareConfig`). Sliders, overrides and the link's `events` act on arm A only, so a
 * link replays arm B exactly whatever was done to arm A.
 */
import type { ExperimentConfig } from '../core/config';
import type { CompareSpec } from '../core/url';
import { COMPARE_KEY, compareConfig, formatCompare, parseCompare } from '../core/url';
import type { FromWorker } from '../protocol/messages';
import { Lockstep, nextBoundary } from './compare-lockstep';
import type { CompareLink } from './compare-slice';
import { releaseCompareLink } from './compare-slice';
import { applyMessage, initialRunData, isRunDataMessage } from './reduce';
import { keepRun } from './run-list';
import type { LabState, RunData } from './store';
import { useLabStore } from './store';
import { withErrors } from './ui-slice';

const get = useLabStore.getState;
const set = useLabStore.setState;

/**
 * The shortest chunk while playing (ms of the slower arm's training): each chunk end is a round
 * trip through the page, and a page busy drawing delays it by tens of ms. Pause takes effect at
 * the end of the chunk under way, so this is also about the longest a Pause waits.
 */
const MIN_CHUNK_MS = 300;

/**
 * Reads `compare=` from the page entries of a link (at boot): the spec goes to the store, a
 * refusal to the error panel (the page then runs a single arm).
 */
export function readCompareParam(page: readonly [string, string][]): void {
  const raw = [...page].reverse().find(([k]) => k === COMPARE_KEY)?.[1];
  const parsed = raw === undefined ? { ok: true as const, spec: null } : parseCompare(raw);
  if (parsed.ok) {
    set({ compare: parsed.spec });
    return;
  }
  const { field, message } = parsed.error;
  set((s) => ({
    compare: null,
    ...withErrors(s, [{ source: 'url', code: field, message, fatal: false }]),
  }));
}

/**
 * A new second arm (null: none), kept in the link as `compare=`; the caller restarts the run
 * (both arms start at step 0 together).
 */
export function chooseCompare(spec: CompareSpec | null): void {
  set((s) => ({
    compare: spec,
    passThrough: [
      ...s.passThrough.filter(([k]) => k !== COMPARE_KEY),
      ...(spec ? ([[COMPARE_KEY, formatCompare(spec)]] as [string, string][]) : []),
    ],
  }));
}

/** The lockstep of the live pair, when the page runs two arms; Play, Pause and Step go to it. */
export function compareLockstep(): Lockstep | null {
  const s = get();
  if (s.compare === null || s.view !== 'live') return null;
  return s.compareLink?.lockstep ?? null;
}

/** Whether the page trains: arm A's loop runs, or the lockstep plays chunk after chunk. */
export function isTraining(s: Pick<LabState, 'running' | 'lockstep'>): boolean {
  return s.running || (s.lockstep?.playing ?? false);
}

/** Commits arm B's buffered changes now (the lab hook reads after this). */
export function flushCompare(): void {
  const link = get().compareLink;
  if (link) commit(link);
}

function commit(link: CompareLink): void {
  if (link.commitTimer !== null) clearTimeout(link.commitTimer);
  link.commitTimer = null;
  const p = link.patch;
  link.patch = null;
  const run = get().compareRun;
  if (p && run && get().compareLink === link) set({ compareRun: { ...run, ...p } });
}

function handleB(link: CompareLink, msg: FromWorker): void {
  if (msg.type === 'exported' || msg.type === 'checkpoint') return;
  if (msg.type === 'error') {
    const policy = get().compareRun?.runConfig.policy ?? '';
    set((s) =>
      withErrors(s, [
        {
          source: 'trainer',
          code: msg.code,
          message: `Arm B (${policy}): ${msg.message}`,
          fatal: msg.fatal,
        },
      ]),
    );
    if (msg.fatal) link.pendingInits = 0;
  }
  if (msg.type === 'ready') {
    link.pendingInits = Math.max(0, link.pendingInits - 1);
    if (link.pendingInits > 0) return;
  } else if (link.pendingInits > 0 && isRunDataMessage(msg)) return;
  const run = get().compareRun;
  if (!run) return;
  link.patch = { ...link.patch, ...applyMessage({ ...run, ...link.patch }, msg) };
  const ms = get().commitMs;
  if (ms <= 0) commit(link);
  else link.commitTimer ??= setTimeout(() => commit(link), ms);
}

/** Arm B's link, its trainer made on first use by the page's factory; null when that fails. */
function ensureLink(): CompareLink | null {
  const existing = get().compareLink;
  if (existing) return existing;
  const make = get().makeTrainer;
  if (!make) return null;
  try {
    const trainer = make();
    // Only this link's messages reach the store (not those of a trainer `resetStore` dropped).
    const unsubscribe = trainer.subscribe((msg) => {
      if (get().compareLink === link) handleB(link, msg);
    });
    const link: CompareLink = {
      trainer,
      unsubscribe,
      pendingInits: 0,
      patch: null,
      commitTimer: null,
      lockstep: null,
    };
    set({ compareLink: link });
    return link;
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    set((s) =>
      withErrors(s, [
        {
          source: 'trainer',
          code: 'internal',
          message: `The second arm's trainer could not be created: ${why}. The page runs one arm.`,
          fatal: false,
        },
      ]),
    );
    return null;
  }
}

/** Where a replaced arm B is said to come from in the run list. */
export const ARM_B_ORIGIN = 'Live A/B, arm B';

/** Arm B's run, as it stands, goes to the run list (as arm A's does when a run replaces it). */
function keepArmB(): void {
  const run = compareRunNow();
  if (run) keepRun(run, 'session', ARM_B_ORIGIN);
}

/**
 * Ends the second arm: its run goes to the run list, its trainer is disposed (the page is the
 * single-arm page).
 */
export function endCompareArm(): void {
  const link = get().compareLink;
  keepArmB();
  set({ compareLink: null, compareRun: null, lockstep: null });
  if (link) releaseCompareLink(link);
}

/**
 * Starts arm B beside arm A, which was just sent `init(configA)`: B's config is derived from A's
 * (same seed, data, model, batch, probe), both are then driven in lockstep. Nothing without a
 * second arm (and a second arm left from before is ended).
 */
export function startCompareArm(configA: ExperimentConfig): void {
  const spec = get().compare;
  const a = get().link?.trainer;
  if (!spec || !a) {
    if (get().compareLink || get().compareRun) endCompareArm();
    return;
  }
  const link = ensureLink();
  if (!link) return;
  // The arm B being replaced goes to the run list, with the messages still buffered for it.
  keepArmB();
  link.lockstep?.dispose();
  if (link.commitTimer !== null) clearTimeout(link.commitTimer);
  link.commitTimer = null;
  link.patch = null;
  const configB = compareConfig(configA, spec);
  set({ compareRun: initialRunData(configB) });
  link.pendingInits++;
  // No autosave: a save per chunk end would cost both arms time; the pair replays from its link.
  link.trainer.init(configB, { autosaveEvery: 0, fused: get().page.fused });
  link.lockstep = new Lockstep([a, link.trainer], {
    chunkEnd: (step) => Math.min(nextBoundary(step, configA.K), nextBoundary(step, configB.K)),
    stopAt: configA.stopAt,
    minChunkMs: MIN_CHUNK_MS,
    pendingInits: [get().pendingInits, link.pendingInits],
    onChange: (view) => {
      if (get().compareLink === link) set({ lockstep: view });
    },
  });
  set({ lockstep: link.lockstep.view() });
}

/** Arm B's run data as it will be after the next commit (tests, the lab hook). */
export function compareRunNow(): RunData | null {
  const link = get().compareLink;
  const run = get().compareRun;
  return run && link?.patch ? { ...run, ...link.patch } : run;
}
