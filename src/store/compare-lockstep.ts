/**
 * Two Trainers stepped in lockstep (Live A/B): the page asks both arms for the same chunk of steps
 * (`step(count)` up to the next evaluation boundary), waits until both have stopped there, then
 * asks for the next chunk. So neither arm runs ahead of the other by more than a chunk, the
 * faster one waits, and Pause stops both at the same step (the chunk under way is finished by
 * both). Trainers answer a `step(count)` with a `status` at the step reached once their loop has
 * ended (`TrainingLoop.loop`'s last status); that status is what a chunk waits for.
 *
 * No store, no DOM: the page's actions (`compare.ts`) and the Node tests drive the same class.
 */
import { now } from '../core/clock';
import type { Trainer } from '../client/trainer';
import type { FromWorker } from '../protocol/messages';

export type ArmIndex = 0 | 1;

/** What the page shows of the lockstep (plain data, for the store). */
export interface LockstepView {
  /** Play pressed: chunks follow one another until Pause, stopAt or an error. */
  playing: boolean;
  /** Both arms have answered `ready`. */
  ready: boolean;
  /** The step the chunk under way ends at; null between chunks. */
  target: number | null;
  /** Steps completed by each arm. */
  steps: [number, number];
  /** The arm that finished the chunk under way and waits for the other; null when none. */
  waiting: ArmIndex | null;
  /**
   * Each arm's measured wall-clock ms per step in lockstep (from its chunk request to its stop,
   * summed over the chunks of this run, over the steps taken); null before a chunk ends.
   */
  msPerStep: [number | null, number | null];
  /** Each arm's total ms spent waiting for the other at the chunk ends. */
  waitedMs: [number, number];
  /** Chunks completed by both arms. */
  chunks: number;
  /** Why the lockstep stopped for good (an arm's error), as a sentence; null when it did not. */
  failed: string | null;
}

export interface LockstepOptions {
  /** The step the chunk starting at `step` ends at (> step): the next evaluation boundary. */
  chunkEnd: (step: number) => number;
  /** Arm A's `stopAt` (0: none): playing pauses once there, as a single run does. */
  stopAt: number;
  /**
   * While playing, a chunk spans as many evaluation intervals as the slower arm needs to train
   * for at least this long (by its last chunk's ms per step): every chunk end waits for the page
   * to pass both answers on, which takes long when the page is busy drawing. 0: one interval.
   */
  minChunkMs?: number;
  /** Unanswered `init`s of each arm: its first `ready`s belong to runs this one replaced. */
  pendingInits: [number, number];
  /** Called after every change of the view. */
  onChange?: (view: LockstepView) => void;
  /** Arm names for messages ("arm A"). */
  names?: [string, string];
}

interface Arm {
  readonly trainer: Trainer;
  pendingInits: number;
  ready: boolean;
  step: number;
  /** Steps asked for in the chunk under way, and when; null when not in a chunk. */
  asked: { steps: number; at: number } | null;
  /** Wall-clock ms per step of its last chunk; null before one ended. */
  lastMsPerStep: number | null;
  /** When it reached the chunk's end (it then waits for the other arm). */
  doneAt: number | null;
  totalMs: number;
  totalSteps: number;
  waitedMs: number;
}

/** The next multiple of `every` above `step`: the next evaluation boundary of a run with K = every. */
export function nextBoundary(step: number, every: number): number {
  return (Math.floor(step / every) + 1) * every;
}

export class Lockstep {
  private readonly arms: [Arm, Arm];
  private readonly unsubscribe: (() => void)[];
  private playing = false;
  /** Steps asked for by Step (not Play), still to start. */
  private stepsAsked = 0;
  private target: number | null = null;
  private chunks = 0;
  private failed: string | null = null;
  private disposed = false;
  private readonly names: [string, string];

  constructor(
    trainers: readonly [Trainer, Trainer],
    private readonly opts: LockstepOptions,
  ) {
    const arm = (trainer: Trainer, pendingInits: number): Arm => ({
      trainer,
      pendingInits,
      ready: false,
      step: 0,
      asked: null,
      lastMsPerStep: null,
      doneAt: null,
      totalMs: 0,
      totalSteps: 0,
      waitedMs: 0,
    });
    this.arms = [arm(trainers[0], opts.pendingInits[0]), arm(trainers[1], opts.pendingInits[1])];
    this.names = opts.names ?? ['arm A', 'arm B'];
    this.unsubscribe = trainers.map((t, i) =>
      t.subscribe((msg) => this.handle(i as ArmIndex, msg)),
    );
  }

  view(): LockstepView {
    const [a, b] = this.arms;
    const ms = (x: Arm) => (x.totalSteps > 0 ? x.totalMs / x.totalSteps : null);
    const waiting =
      this.target === null ? null : a.doneAt !== null ? 0 : b.doneAt !== null ? 1 : null;
    return {
      playing: this.playing,
      ready: a.ready && b.ready,
      target: this.target,
      steps: [a.step, b.step],
      waiting,
      msPerStep: [ms(a), ms(b)],
      waitedMs: [a.waitedMs, b.waitedMs],
      chunks: this.chunks,
      failed: this.failed,
    };
  }

  /** Trains on, chunk after chunk, once both arms are ready. */
  play(): void {
    if (this.disposed || this.failed) return;
    this.playing = true;
    this.pump();
    this.changed();
  }

  /** Stops both arms at the end of the chunk under way (the same step for both). */
  pause(): void {
    this.playing = false;
    this.stepsAsked = 0;
    this.changed();
  }

  /** `count` steps of both arms (while not playing). */
  step(count: number): void {
    if (this.disposed || this.failed || this.playing) return;
    this.stepsAsked += Math.max(1, Math.floor(count));
    this.pump();
    this.changed();
  }

  /** Stops listening; the trainers are the caller's to dispose. */
  dispose(): void {
    this.disposed = true;
    this.playing = false;
    for (const off of this.unsubscribe) off();
  }

  private changed(): void {
    if (!this.disposed) this.opts.onChange?.(this.view());
  }

  private handle(i: ArmIndex, msg: FromWorker): void {
    if (this.disposed) return;
    const arm = this.arms[i];
    if (msg.type === 'ready') {
      if (arm.pendingInits > 0) arm.pendingInits--;
      if (arm.pendingInits > 0) return;
      arm.ready = true;
      arm.step = 0;
      this.pump();
      this.changed();
      return;
    }
    if (!arm.ready) return;
    if (msg.type === 'error') {
      // A divergence (not fatal) or a lost worker or device: the other arm finishes its chunk and
      // the pair stops there; Reset starts both anew.
      this.failed = `${this.names[i]}: ${msg.message}`;
      this.playing = false;
      this.stepsAsked = 0;
      arm.asked = null;
      this.finishChunkIfDone();
      this.changed();
      return;
    }
    if (msg.type !== 'status') return;
    arm.step = Math.max(arm.step, msg.step);
    if (!arm.asked || this.target === null || msg.running || msg.step < this.target) return;
    const t = now();
    arm.totalMs += t - arm.asked.at;
    arm.totalSteps += arm.asked.steps;
    arm.lastMsPerStep = (t - arm.asked.at) / arm.asked.steps;
    arm.asked = null;
    arm.doneAt = t;
    this.finishChunkIfDone();
    this.changed();
  }

  /** Both arms stopped: the chunk is over; the one that finished first waited for the other. */
  private finishChunkIfDone(): void {
    if (this.target === null || this.arms.some((a) => a.asked !== null)) return;
    const end = Math.max(...this.arms.map((a) => a.doneAt ?? -Infinity));
    for (const a of this.arms) {
      if (a.doneAt !== null) a.waitedMs += end - a.doneAt;
      a.doneAt = null;
    }
    const target = this.target;
    this.target = null;
    this.chunks++;
    const { stopAt } = this.opts;
    if (this.playing && stopAt > 0 && target === stopAt) this.playing = false;
    this.pump();
  }

  /** Starts the next chunk when one is wanted and both arms are ready and idle. */
  private pump(): void {
    if (this.failed || this.target !== null) return;
    if (!this.playing && this.stepsAsked === 0) return;
    const [a, b] = this.arms;
    if (!a.ready || !b.ready) return;
    const from = Math.max(a.step, b.step);
    let target: number;
    if (this.playing) {
      target = this.opts.chunkEnd(from);
      const slowest = Math.max(a.lastMsPerStep ?? 0, b.lastMsPerStep ?? 0);
      const minMs = this.opts.minChunkMs ?? 0;
      if (slowest > 0)
        for (let i = 0; i < 10_000 && (target - from) * slowest < minMs; i++)
          target = this.opts.chunkEnd(target);
      const { stopAt } = this.opts;
      if (stopAt > from) target = Math.min(target, stopAt);
    } else {
      target = from + this.stepsAsked;
      this.stepsAsked = 0;
    }
    this.target = target;
    const at = now();
    for (const arm of this.arms) {
      // An arm behind the other (after an error on the other) catches up in the same chunk.
      const steps = target - arm.step;
      if (steps <= 0) continue;
      arm.asked = { steps, at };
      arm.trainer.step(steps);
    }
    this.finishChunkIfDone();
  }
}
