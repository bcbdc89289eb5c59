/**
 * Saved-runs slice: where runs are saved (the `RunStore` handle, null where there is none: Node
 * tests, a browser without IndexedDB), which live run the saves belong to, the list the page
 * shows, the last save, and the "Resume at step S" offer.
 */
import type { RunStore, SavedRun, SavedRunMeta } from '../storage/run-store';

/** A saved run the page offers to resume, and why. */
export interface ResumeOffer {
  id: string;
  step: number;
  savedAt: number;
  name: string;
  /**
   * `link`: the page was opened with the link of a saved run; `worker-crashed` and
   * `device-lost`: the live run stopped, this is its last save.
   */
  reason: 'link' | 'worker-crashed' | 'device-lost';
}

/** The latest save of the live run: its step, size and how long it took. */
export interface LastSave {
  id: string;
  step: number;
  at: number;
  bytes: number;
  /**
   * ms the worker took to read the state, and the page to write it to the store; null for the
   * save a resumed run started from.
   */
  readMs: number | null;
  writeMs: number | null;
}

export interface SavedState {
  runStore: RunStore | null;
  /** The live run's id in the store (a new one per started run; a resumed run keeps its own). */
  runId: string;
  /** When the live run started (ms since 1970). */
  runStartedAt: number;
  savedRuns: SavedRunMeta[];
  lastSave: LastSave | null;
  /** Why the last save failed (a sentence), until one succeeds. */
  saveError: string | null;
  resumeOffer: ResumeOffer | null;
  /** A write to the store is under way; `nextSave` waits for it (older waiting ones are dropped). */
  saving: boolean;
  nextSave: { run: SavedRun; readMs: number } | null;
}

export function initialSavedState(): SavedState {
  return {
    runStore: null,
    runId: '',
    runStartedAt: 0,
    savedRuns: [],
    lastSave: null,
    saveError: null,
    resumeOffer: null,
    saving: false,
    nextSave: null,
  };
}
