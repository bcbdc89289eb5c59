import * as tf from '@tensorflow/tfjs';
import { now } from '../core/clock';
import type { RunCheckpoint } from '../core/checkpoint';
import type { Divergence, GuardState } from '../core/divergence';
import { DivergenceGuard } from '../core/divergence';
import type { FlopSplits } from '../core/flops';
import type { RunFile } from '../core/runfile';
import type { StepResult } from '../core/session';
import type { Post } from './handler';

/** Metrics are pushed at most this often, so the UI never asks per step. */
const PUSH_INTERVAL_MS = 200;
/** Step-time samples kept for the median. */
const TIMING_WINDOW = 50;

/** The metrics logs' lengths and the guard's memory at a checkpoint (`MetricsPump.mark`). */
export interface MetricsMark {
  metrics: number;
  validations: number;
  guard: GuardState;
  medianStepMs: number | null;
}

interface PendingStep {
  step: number;
  loss: tf.Scalar;
  /** Cumulative charged and vanilla FLOPs after this step. */
  flops: number;
  vanillaFlops: number;
}

/**
 * The run's metrics on the worker side: losses stay on the device until a push (at most every
 * `PUSH_INTERVAL_MS`), are read back in one transfer and sent as one transferable batch. What
 * was pushed, and every validation, is kept here too: the one copy an export reads.
 */
export class MetricsPump {
  private pending: PendingStep[] = [];
  /** Wall-clock ms per step of the last chunks (steps between two pushes). */
  private readonly stepMs: number[] = [];
  private chunkStart = now();
  private chunkSteps = 0;
  private lastPush = now();
  private log: RunFile['metrics'] = { step: [], loss: [], flops: [], vanillaFlops: [] };
  private validations: RunFile['validation'] = { step: [], perplexity: [] };
  /** The divergence guard's loss rule, fed every loss read back, in step order. */
  private guard = new DivergenceGuard();

  constructor(private readonly post: Post) {}

  /**
   * Queues one step's loss (still a tensor) and its cumulative FLOPs (the Session's sums of its
   * cumulative parts, so the totals shown and the split pushed with them always agree).
   */
  add(r: Pick<StepResult, 'step' | 'loss' | 'totalFlops' | 'totalVanillaFlops'>): void {
    this.pending.push({
      step: r.step,
      loss: r.loss,
      flops: r.totalFlops,
      vanillaFlops: r.totalVanillaFlops,
    });
    this.chunkSteps++;
  }

  /** Logs a validation value and posts it at once. */
  validation(step: number, value: number): void {
    this.validations.step.push(step);
    this.validations.perplexity.push(value);
    this.post({ type: 'validation', step, perplexity: value });
  }

  /** Starts timing a new run of steps (play or step after a pause). */
  startChunk(): void {
    this.chunkStart = now();
    this.chunkSteps = 0;
  }

  /** Whether losses are waiting to be read back. */
  hasPending(): boolean {
    return this.pending.length > 0;
  }

  /** Whether the last push is old enough for another. */
  due(): boolean {
    return now() - this.lastPush >= PUSH_INTERVAL_MS;
  }

  /**
   * Reads the pending losses in one readback and pushes one metrics batch with `split`, the FLOPs
   * by part at its last step (read once per push, not copied per step). Returns the first
   * divergence the guard finds in these losses (NaN or infinite, or a blow-up), or null.
   */
  async flush(split: () => FlopSplits): Promise<Divergence | null> {
    if (this.pending.length === 0) return null;
    const batch = this.pending;
    this.pending = [];
    // Taken before the readback's await: no step runs between the last `add` and here.
    const atLast = split();
    const stacked = tf.stack(batch.map((p) => p.loss));
    const values = (await stacked.data()) as Float32Array;
    stacked.dispose();
    for (const p of batch) p.loss.dispose();
    this.timeChunk();
    const n = batch.length;
    const out = {
      steps: new Int32Array(n),
      loss: new Float32Array(n),
      flops: new Float64Array(n),
      vanillaFlops: new Float64Array(n),
      split: atLast,
    };
    let diverged: Divergence | null = null;
    batch.forEach((p, i) => {
      out.steps[i] = p.step;
      out.loss[i] = values[i]!;
      out.flops[i] = p.flops;
      out.vanillaFlops[i] = p.vanillaFlops;
      const d = this.guard.check(p.step, values[i]!);
      diverged ??= d;
      this.log.step.push(p.step);
      this.log.loss.push(values[i]!);
      this.log.flops.push(p.flops);
      this.log.vanillaFlops.push(p.vanillaFlops);
    });
    this.post({ type: 'metrics', batch: out, medianStepMs: this.median() }, [
      out.steps.buffer,
      out.loss.buffer,
      out.flops.buffer,
      out.vanillaFlops.buffer,
    ]);
    this.lastPush = now();
    return diverged;
  }

  /** A copy of everything pushed so far, for a run file. */
  snapshot(): { metrics: RunFile['metrics']; validation: RunFile['validation'] } {
    const m = this.log;
    const v = this.validations;
    return {
      metrics: {
        step: [...m.step],
        loss: [...m.loss],
        flops: [...m.flops],
        vanillaFlops: [...m.vanillaFlops],
      },
      validation: { step: [...v.step], perplexity: [...v.perplexity] },
    };
  }

  /**
   * The checkpoint's metrics part (docs/checkpoints.md): everything pushed so far, as typed
   * arrays (copies), the guard's memory and the measured step time. Flush first: losses not
   * read back yet are not in it.
   */
  checkpoint(): Pick<RunCheckpoint, 'metrics' | 'validation' | 'guard' | 'medianStepMs'> {
    const m = this.log;
    const v = this.validations;
    return {
      metrics: {
        step: Int32Array.from(m.step),
        loss: Float32Array.from(m.loss),
        flops: Float64Array.from(m.flops),
        vanillaFlops: Float64Array.from(m.vanillaFlops),
      },
      validation: { step: Int32Array.from(v.step), value: Float64Array.from(v.perplexity) },
      guard: this.guard.state(),
      medianStepMs: this.median(),
    };
  }

  /**
   * Where the logs are now (entries pushed, validations) and the guard's memory: with
   * `checkpointAt`, the checkpoint's metrics part as `checkpoint()` would have given it here,
   * without copying the logs now (the checkpoint ring marks every evaluation). Flush first.
   */
  mark(): MetricsMark {
    return {
      metrics: this.log.step.length,
      validations: this.validations.step.length,
      guard: this.guard.state(),
      medianStepMs: this.median(),
    };
  }

  /** The checkpoint's metrics part at `mark` (the logs only grow until `reset` or `restore`). */
  checkpointAt(
    mark: MetricsMark,
  ): Pick<RunCheckpoint, 'metrics' | 'validation' | 'guard' | 'medianStepMs'> {
    const m = this.log;
    const v = this.validations;
    const n = mark.metrics;
    return {
      metrics: {
        step: Int32Array.from(m.step.slice(0, n)),
        loss: Float32Array.from(m.loss.slice(0, n)),
        flops: Float64Array.from(m.flops.slice(0, n)),
        vanillaFlops: Float64Array.from(m.vanillaFlops.slice(0, n)),
      },
      validation: {
        step: Int32Array.from(v.step.slice(0, mark.validations)),
        value: Float64Array.from(v.perplexity.slice(0, mark.validations)),
      },
      guard: { ...mark.guard },
      medianStepMs: mark.medianStepMs,
    };
  }

  /** Takes over a restored run's metrics and guard (after `reset`); step times start anew. */
  restore(c: Pick<RunCheckpoint, 'metrics' | 'validation' | 'guard'>): void {
    this.log = {
      step: Array.from(c.metrics.step),
      loss: Array.from(c.metrics.loss),
      flops: Array.from(c.metrics.flops),
      vanillaFlops: Array.from(c.metrics.vanillaFlops),
    };
    this.validations = {
      step: Array.from(c.validation.step),
      perplexity: Array.from(c.validation.value),
    };
    this.guard = DivergenceGuard.fromState(c.guard);
  }

  /** Forgets the run: drops (and disposes) unpushed losses, the logs, FLOPs and timings. */
  reset(): void {
    for (const p of this.pending) p.loss.dispose();
    this.pending = [];
    this.stepMs.length = 0;
    this.log = { step: [], loss: [], flops: [], vanillaFlops: [] };
    this.validations = { step: [], perplexity: [] };
    this.guard = new DivergenceGuard();
  }

  /** Closes the current chunk: one more per-step time sample. */
  private timeChunk(): void {
    const elapsed = now() - this.chunkStart;
    if (this.chunkSteps > 0) {
      this.stepMs.push(elapsed / this.chunkSteps);
      if (this.stepMs.length > TIMING_WINDOW) this.stepMs.shift();
    }
    this.startChunk();
  }

  /** Median wall-clock ms per step over the last chunks; null before any was timed. */
  median(): number | null {
    if (this.stepMs.length === 0) return null;
    const s = [...this.stepMs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!;
  }
}
