/**
 * Link slice: the store's side of the connection to the one Trainer — which trainer, the `init`
 * calls it has not answered, the message buffer, and the live run kept behind an imported one.
 * Nothing renders from it; actions (`actions.ts`) read and write it. It lives in the store (not in
 * module variables) so that `getInitialState` resets it with everything else.
 */
import type { Trainer } from '../client/trainer';
import type { LabState, RunData } from './store';

/**
 * A connected trainer and the trainer messages not yet committed to the store.
 *
 * Why a mutable object in a store of plain data: a Trainer (a worker or an in-thread handler), its
 * unsubscribe function and a timer id are handles, not values, and the buffer must change without
 * notifying subscribers — that is its point: one store update per commit however many messages
 * arrive. So `connectTrainer` creates one of these per trainer (set together with `where`, in the
 * same update) and the actions mutate `patch` and `commitTimer` in place. The initial state holds
 * `null`, never a link, so `getInitialState` can not carry a used buffer into the next test.
 */
export interface TrainerLink {
  readonly trainer: Trainer;
  readonly unsubscribe: () => void;
  /** Run-data changes reduced from trainer messages since the last commit; null when none. */
  patch: Partial<LabState> | null;
  /** The commit scheduled for `patch`, if any. */
  commitTimer: ReturnType<typeof setTimeout> | null;
}

export interface LinkState {
  link: TrainerLink | null;
  /** Creates the trainer on first use (set by `bootLab`); null before boot. */
  makeTrainer: (() => Trainer) | null;
  /** `init` calls not yet answered by `ready` (or a fatal error); run messages are dropped meanwhile. */
  pendingInits: number;
  /** Play as soon as the pending `init` is answered (the link said autoplay). */
  autoplayOnReady: boolean;
  /** The live run's data while an imported run is on screen; trainer messages keep updating it. */
  stash: RunData | null;
  /**
   * Trainer messages are committed to the store at most every `commitMs` (200 ms in the page: as
   * often as the trainer pushes metrics, ≤ 5 a second; a small model evaluates
   * every few milliseconds; React and the canvases redraw a few times a second however fast
   * training goes). 0 commits every message at once (Node tests).
   */
  commitMs: number;
}

export function initialLinkState(): LinkState {
  return {
    link: null,
    makeTrainer: null,
    pendingInits: 0,
    autoplayOnReady: false,
    stash: null,
    commitMs: typeof window === 'undefined' ? 0 : 200,
  };
}

/** Stops a link for good: no scheduled commit, no more messages, the trainer disposed. */
export function releaseLink(link: TrainerLink): void {
  if (link.commitTimer !== null) clearTimeout(link.commitTimer);
  link.commitTimer = null;
  link.patch = null;
  link.unsubscribe();
  link.trainer.dispose();
}
