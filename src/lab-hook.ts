/**
 * `window.__lab`: a typed read-only view of the store for end-to-end tests, installed in dev and
 * test builds only (or with VITE_LAB_HOOK=1). Values come from the store, i.e. from the
 * messages the trainer pushed, so tests see what the page shows.
 */
import type { HookHistory, HookModule, HookStatus } from './store/selectors';
import { hookHistory, hookModules, hookStatus } from './store/selectors';
import { flushMessages } from './store/actions';
import { flushCompare } from './store/compare';
import type { LockstepView } from './store/compare-lockstep';
import { useLabStore } from './store/store';
import type { LoadProgress } from './protocol/messages';
import type { LastSave, ResumeOffer } from './store/saved-slice';
import { breakPanel } from './ui/panel-fault';

export interface LabHook {
  /** Backend (null before `ready`), adapter, step counter, running state, model and policy. */
  status(): Promise<HookStatus>;
  /** Every module at the latest evaluation ([] before the first one). */
  modules(): Promise<HookModule[]>;
  /** Every evaluation (λmax and decisions by module id) and every logged α/β change. */
  history(): Promise<HookHistory>;
  /** Every data-download progress the page showed since it loaded, in order. */
  loads(): Promise<LoadProgress[]>;
  /** The training loss of every step so far, as the page holds it. */
  losses(): Promise<{ steps: number[]; loss: number[] }>;
  /**
   * Autosave: the live run's last save (step, bytes, ms to read and to write), the saved runs
   * listed, and the "Resume at step S" offer.
   */
  saves(): Promise<{
    lastSave: LastSave | null;
    saveError: string | null;
    saved: { id: string; name: string; step: number; bytes: number }[];
    offer: ResumeOffer | null;
  }>;
  /**
   * Makes a panel (a `hide=` key, `story`, `drill-down`, `import banner`, `page`) throw on its
   * next render, to test its error boundary.
   */
  breakPanel(name: string): void;
  /**
   * Live A/B (`compare=`): arm B's status and history, as `status()` and `history()` give arm
   * A's, and the lockstep (steps, ms per step, waits); null without a second arm.
   */
  compare(): Promise<{
    status: HookStatus;
    history: HookHistory;
    lockstep: LockstepView;
  } | null>;
  /**
   * Scrub and fork (issue 11): the steps the shown run can be forked from, the scrub cursor
   * (null: following), and the link's `fork` and `parent` (null when the run is no fork).
   */
  forks(): Promise<{
    checkpointSteps: number[];
    scrubStep: number | null;
    fork: string | null;
    parent: string | null;
  }>;
}

declare global {
  interface Window {
    __lab?: LabHook;
  }
}

export function labHookEnabled(): boolean {
  return (
    import.meta.env.DEV || import.meta.env.MODE === 'test' || import.meta.env.VITE_LAB_HOOK === '1'
  );
}

export function installLabHook(): void {
  if (!labHookEnabled()) return;
  const get = () => {
    flushMessages();
    return useLabStore.getState();
  };
  const loads: LoadProgress[] = [];
  useLabStore.subscribe((st, prev) => {
    if (st.loading && st.loading !== prev.loading) loads.push({ ...st.loading });
  });
  window.__lab = {
    loads: () => Promise.resolve(loads.slice()),
    status: () => Promise.resolve(hookStatus(get())),
    modules: () => Promise.resolve(hookModules(get())),
    history: () => Promise.resolve(hookHistory(get())),
    losses: () => {
      const m = get().metrics;
      return Promise.resolve({
        steps: Array.from(m.steps.subarray(0, m.length)),
        loss: Array.from(m.loss.subarray(0, m.length)),
      });
    },
    saves: () => {
      const s = get();
      return Promise.resolve({
        lastSave: s.lastSave,
        saveError: s.saveError,
        saved: s.savedRuns.map(({ id, name, step, bytes }) => ({ id, name, step, bytes })),
        offer: s.resumeOffer,
      });
    },
    breakPanel,
    compare: () => {
      const s = get();
      flushCompare();
      const b = useLabStore.getState().compareRun;
      const lockstep = useLabStore.getState().lockstep;
      if (!b || !lockstep) return Promise.resolve(null);
      const armB = { ...s, ...b };
      return Promise.resolve({ status: hookStatus(armB), history: hookHistory(armB), lockstep });
    },
    forks: () => {
      const s = get();
      const param = (k: string) => s.passThrough.findLast(([key]) => key === k)?.[1] ?? null;
      return Promise.resolve({
        checkpointSteps: s.checkpointSteps.slice(),
        scrubStep: s.scrubStep,
        fork: param('fork'),
        parent: param('parent'),
      });
    },
  };
}
