/**
 * Checkpoints: everything a run needs to go on exactly as if it had never stopped (autosave and
 * resume; forks from a step). The format is documented in docs/checkpoints.md; bump
 * `CHECKPOINT_VERSION` with any change of meaning and keep reading the versions before it.
 *
 * A checkpoint is plain data: objects, arrays, numbers, strings and typed arrays (the weights,
 * Adam's moments, the evaluations and metrics: bit-exact and compact). It survives structured
 * cloning (postMessage, IndexedDB) as it is; it is not JSON (typed arrays would not survive).
 */
import type { ExperimentConfig, LiveParam, LoggedEvent, OverrideEvent, ParamEvent } from './config';
import type { GuardState } from './divergence';
import type { FlopSplit } from './flops';
import type { AdamSlotData } from './optim/adam';
import type { PolicyParams } from './policies/types';
import type { RngState } from './rng';
import type { Decision, ManualOverride } from './types';

export const CHECKPOINT_FORMAT = 'mat-lab-checkpoint';
export const CHECKPOINT_VERSION = 1;

/** One variable's value: its name in run files (`exportName`), its shape, its values. */
export interface CheckpointVariable {
  name: string;
  shape: number[];
  values: Float32Array;
}

/** A scheduled evaluation as the Session keeps it (`history`). */
export interface CheckpointEvaluation {
  step: number;
  lambdaMax: Float64Array;
  spectra: Float64Array;
  effRank: Float64Array;
  stdErr?: Float64Array;
  /** Wall-clock ms it took (shown, not used to decide). */
  ms: number;
}

/** The Session's part: the model, the optimizer, the randomness, the policy and its log. */
export interface SessionCheckpoint {
  /** Completed training steps. */
  step: number;
  /** Every variable, in the model's `allVariables()` order. */
  weights: CheckpointVariable[];
  /** Adam's moments and step per variable, aligned with `weights` (null: never trained). */
  adam: (AdamSlotData | null)[];
  /** The training-batch stream (the data order); every other stream is forked per use. */
  rng: { batches: RngState };
  /** α, β and the other policy fields in force (after logged changes). */
  params: PolicyParams;
  /** Decisions in force now, and those before the latest evaluation (`previous` of `decide`). */
  decisions: Decision[];
  previous: Decision[] | null;
  /** The step of the latest scheduled evaluation (−1: none yet). */
  lastEvalStep: number;
  /** Slider values waiting for the next evaluation. */
  pending: { name: LiveParam; value: number }[];
  /** Manual overrides in force, by module id. */
  overrides: [string, ManualOverride][];
  /** Every scheduled evaluation so far (the policy's λmax history), oldest first. */
  history: CheckpointEvaluation[];
  /** The decisions taken, by the step they were taken at. */
  decisionLog: { step: number; decisions: Decision[] }[];
  /** The change log so far. */
  events: LoggedEvent[];
  /** The config's events not replayed yet (α/β moves, overrides), by step. */
  replay: { params: ParamEvent[]; overrides: OverrideEvent[] };
  /** Cumulative FLOPs by part: charged to the run, and vanilla's. */
  flops: { run: FlopSplit; vanilla: FlopSplit };
}

/** The per-step metrics logged so far (what a run file's `metrics` and `validation` hold). */
export interface CheckpointMetrics {
  step: Int32Array;
  loss: Float32Array;
  flops: Float64Array;
  vanillaFlops: Float64Array;
}

/** A whole run at one step: the experiment, the Session, and the metrics that go on. */
export interface RunCheckpoint {
  format: typeof CHECKPOINT_FORMAT;
  version: number;
  /** When it was taken (ISO 8601). */
  createdAt: string;
  /** The experiment the run was started with (its `events`: the link's, replayed as due). */
  config: ExperimentConfig;
  /** What it ran on (a resume on another backend goes on, but not bit for bit). */
  backend: { backend: string; adapter: string };
  session: SessionCheckpoint;
  metrics: CheckpointMetrics;
  validation: { step: Int32Array; value: Float64Array };
  /** The divergence guard's memory, so it goes on judging the losses as it would have. */
  guard: GuardState;
  medianStepMs: number | null;
}

/** Thrown when a checkpoint cannot be restored; the message names the field. */
export class CheckpointError extends Error {
  override name = 'CheckpointError';
}

/** `x` as a checkpoint this lab can restore, or a `CheckpointError` saying why not. */
export function checkRunCheckpoint(x: unknown): RunCheckpoint {
  const c = x as Partial<RunCheckpoint> | null;
  if (!c || typeof c !== 'object' || c.format !== CHECKPOINT_FORMAT) {
    throw new CheckpointError('checkpoint.format: not a MAT Lab checkpoint.');
  }
  if (c.version !== CHECKPOINT_VERSION) {
    throw new CheckpointError(
      `checkpoint.version: saved as version ${String(c.version)}; this lab reads version ${CHECKPOINT_VERSION}.`,
    );
  }
  const typed = (v: unknown, T: { new (n: number): unknown }, field: string) => {
    if (!(v instanceof T)) throw new CheckpointError(`checkpoint.${field}: missing or not typed.`);
  };
  if (!c.session || !c.config || !c.metrics || !c.validation || !c.guard) {
    throw new CheckpointError('checkpoint: session, config, metrics, validation or guard missing.');
  }
  typed(c.metrics.step, Int32Array, 'metrics.step');
  typed(c.metrics.loss, Float32Array, 'metrics.loss');
  typed(c.metrics.flops, Float64Array, 'metrics.flops');
  typed(c.metrics.vanillaFlops, Float64Array, 'metrics.vanillaFlops');
  const n = c.metrics.step.length;
  for (const k of ['loss', 'flops', 'vanillaFlops'] as const) {
    if (c.metrics[k].length !== n)
      throw new CheckpointError(
        `checkpoint.metrics.${k}: ${c.metrics[k].length} entries, step has ${n}.`,
      );
  }
  typed(c.validation.step, Int32Array, 'validation.step');
  typed(c.validation.value, Float64Array, 'validation.value');
  if (c.validation.value.length !== c.validation.step.length)
    throw new CheckpointError('checkpoint.validation.value: not one entry per validation step.');
  return c as RunCheckpoint;
}

/**
 * The size a checkpoint takes when stored: the typed arrays' bytes, plus the rest as JSON text
 * (an estimate of what structured cloning writes for it, which no browser reports).
 */
export function checkpointBytes(value: unknown): number {
  let bytes = 0;
  const rest = JSON.stringify(value, (_key, v: unknown) => {
    if (ArrayBuffer.isView(v)) {
      bytes += v.byteLength;
      return 0;
    }
    return v;
  });
  return bytes + (rest?.length ?? 0);
}

/** The typed arrays' buffers in a checkpoint, to transfer it (postMessage) without a copy. */
export function checkpointBuffers(c: RunCheckpoint): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  const add = (a: ArrayBufferView | undefined) => {
    if (a && a.buffer instanceof ArrayBuffer) out.add(a.buffer);
  };
  for (const w of c.session.weights) add(w.values);
  for (const s of c.session.adam) {
    add(s?.m);
    add(s?.v);
  }
  for (const e of c.session.history) {
    add(e.lambdaMax);
    add(e.spectra);
    add(e.effRank);
    add(e.stdErr);
  }
  for (const a of Object.values(c.metrics)) add(a);
  add(c.validation.step);
  add(c.validation.value);
  return [...out];
}
