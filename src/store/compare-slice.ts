/**
 * Compare slice (Live A/B): the second arm of the experiment — what the link asked for
 * (`compare=`), arm B's run data (the same `RunData` the live run has, reduced by the same
 * `applyMessage`), its trainer link and the lockstep's view. Actions are in `compare.ts`. When
 * `compare` is null the page is the single-arm page, unchanged.
 */
import type { Trainer } from '../client/trainer';
import type { CompareSpec } from '../core/url';
import type { Lockstep, LockstepView } from './compare-lockstep';
import type { RunData } from './store';

/**
 * Arm B's trainer and its messages not yet committed (batched as the live run's are: one store
 * update per `commitMs`). Handles, not values: see `link-slice.ts` for why they sit in the store.
 */
export interface CompareLink {
  readonly trainer: Trainer;
  readonly unsubscribe: () => void;
  /** Arm B's `init`s not yet answered: messages of a run being replaced are dropped. */
  pendingInits: number;
  /** Reduced changes to arm B's run data since the last commit; null when none. */
  patch: Partial<RunData> | null;
  commitTimer: ReturnType<typeof setTimeout> | null;
  /** The lockstep of the current pair of runs; null before both are started. */
  lockstep: Lockstep | null;
}

export interface CompareState {
  /** The second arm as the link gives it (`compare=`); null: a single arm. */
  compare: CompareSpec | null;
  /** Arm B's run data; null without a second arm. */
  compareRun: RunData | null;
  compareLink: CompareLink | null;
  /** What the page shows of the lockstep; null without a second arm. */
  lockstep: LockstepView | null;
}

export function initialCompareState(): CompareState {
  return { compare: null, compareRun: null, compareLink: null, lockstep: null };
}

/** Stops arm B's link for good: no scheduled commit, no more messages, the trainer disposed. */
export function releaseCompareLink(link: CompareLink): void {
  if (link.commitTimer !== null) clearTimeout(link.commitTimer);
  link.commitTimer = null;
  link.patch = null;
  link.lockstep?.dispose();
  link.lockstep = null;
  link.unsubscribe();
  link.trainer.dispose();
}
