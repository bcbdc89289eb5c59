/**
 * The divergence guard's loss rule (docs/method.md, "Divergence guard"). Every step's training
 * loss is checked, in step order, when the losses are read back: at each metrics push (at most
 * 5 per second) and before every scheduled evaluation, so no evaluation runs on a model whose
 * loss has diverged. The run pauses at the first step that breaks the rule:
 *
 * - the loss is NaN or infinite; or
 * - a blow-up: after {@link GUARD_WARMUP_STEPS} steps, the smoothed loss (an exponential moving
 *   average, each step weighing {@link GUARD_SMOOTHING}) is more than {@link GUARD_FACTOR} × its
 *   lowest value so far and above the run's first loss. (Smoothed, so that one hard batch of a
 *   well-fit model, whose loss was near 0, is not a blow-up; a sustained rise or one spike of
 *   100 × is.)
 *
 * (The Session adds the last line: an evaluation whose kernels are not finite throws
 * `DivergenceError` before any eigen-decomposition.)
 */

/** Steps before the blow-up rule applies (early losses move fast). */
export const GUARD_WARMUP_STEPS = 20;
/** A smoothed loss this many times its running minimum (and above the first loss) is a blow-up. */
export const GUARD_FACTOR = 10;
/** The weight of each step's loss in the smoothed loss. */
export const GUARD_SMOOTHING = 0.1;

export interface Divergence {
  /** The step whose loss broke the rule. */
  step: number;
  reason: 'non-finite' | 'blow-up';
  /** What happened, as a sentence for the error panel. */
  message: string;
}

const fmt = (x: number) => Number(x.toPrecision(3)).toString();

/** The guard's memory as plain numbers, for checkpoints (`min` null: no loss seen yet). */
export interface GuardState {
  first: number | null;
  smooth: number;
  min: number | null;
  seen: number;
}

/** The loss rule over one run's losses, fed in step order. */
export class DivergenceGuard {
  private first: number | null = null;
  /** The smoothed loss, and its lowest value so far. */
  private smooth = 0;
  private min = Infinity;
  private seen = 0;

  /** Where the rule stands (a copy). */
  state(): GuardState {
    const { first, smooth, min, seen } = this;
    return { first, smooth, min: Number.isFinite(min) ? min : null, seen };
  }

  /** A guard that goes on from `s` exactly as the one that saved it would. */
  static fromState(s: GuardState): DivergenceGuard {
    const g = new DivergenceGuard();
    g.first = s.first;
    g.smooth = s.smooth;
    g.min = s.min ?? Infinity;
    g.seen = s.seen;
    return g;
  }

  /** Checks one step's loss; the divergence it shows, or null. */
  check(step: number, loss: number): Divergence | null {
    if (!Number.isFinite(loss)) {
      return {
        step,
        reason: 'non-finite',
        message:
          `The training loss became NaN or infinite at step ${step}; the run is paused before ` +
          'any evaluation of it. Export keeps what you have; lower the learning rate and reset to start again.',
      };
    }
    this.seen++;
    this.first ??= loss;
    this.smooth =
      this.seen === 1 ? loss : (1 - GUARD_SMOOTHING) * this.smooth + GUARD_SMOOTHING * loss;
    const s = this.smooth;
    if (this.seen > GUARD_WARMUP_STEPS && s > GUARD_FACTOR * this.min && s > this.first) {
      const d: Divergence = {
        step,
        reason: 'blow-up',
        message:
          `The training loss rose to ${fmt(loss)} at step ${step} (smoothed ${fmt(s)}, more than ` +
          `${GUARD_FACTOR} × its lowest so far, ${fmt(this.min)}, and above the first loss, ` +
          `${fmt(this.first)}): the run diverged and is paused. Export keeps what you have; Play ` +
          'trains on, or lower the learning rate and reset.',
      };
      // Play trains on from here: only a further blow-up over this level pauses again.
      this.min = s;
      return d;
    }
    this.min = Math.min(this.min, s);
    return null;
  }
}
