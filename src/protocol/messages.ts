/**
 * The worker protocol, both directions, in one file. Every message is keyed by `type` so a
 * `switch` narrows it without casts; `assertNever` makes the switch exhaustive.
 */
import type { ExperimentConfig, LiveParam } from '../core/config';
import type { DecisionReason, ManualOverride, ModuleInfo } from '../core/types';
import type { RunFile } from '../core/runfile';
import type { BackendInfo } from '../core/backend';
import type { FlopSplits } from '../core/flops';
import type { MetricInfo, ModelView } from '../core/families/types';
import type { LoggedEvent } from '../core/session';
import type { RunCheckpoint } from '../core/checkpoint';

/**
 * 2: `MetricsBatch.split` (FLOPs by part); 3: `busy` messages, `ready.evaluationFlops`;
 * 4: `init.resume` and `init.autosaveEvery`, `checkpoint` messages; 5: `init.fork`,
 * `export.checkpoints`, `checkpoints` messages (scrub and fork); 6: `status.pauseReceivedAt`.
 */
export const PROTOCOL_VERSION = 6;

/** How an `init` starts its run, besides the experiment. */
export interface InitOptions {
  /** Restores this checkpoint (docs/checkpoints.md) instead of starting at step 0. */
  resume?: RunCheckpoint | undefined;
  /**
   * Posts a `checkpoint` every this many scheduled evaluations (at the evaluation boundary, at
   * most one per `AUTOSAVE_MIN_INTERVAL_MS`) and whenever training stops; 0 or absent: never.
   */
  autosaveEvery?: number | undefined;
  /**
   * Starts a fork (docs/checkpoints.md, "Forks"): the current run's checkpoint at evaluation step
   * `step` (one the `checkpoints` message listed), its future dropped (`core/fork.ts` `asFork`),
   * as a new run on the config it was taken with; its history up to `step` is posted as a
   * resume's is. Takes the place of `resume`.
   */
  fork?: { step: number } | undefined;
  /**
   * False: the composed TF.js ops even on WebGPU (the page's `fused=0`); else the fused kernels
   * run wherever the backend is WebGPU (core/fused/program.ts).
   */
  fused?: boolean | undefined;
}

/** Autosaves are at least this far apart (ms), however fast the evaluations come. */
export const AUTOSAVE_MIN_INTERVAL_MS = 5000;

export type { BackendInfo } from '../core/backend';

// ---- main → worker ------------------------------------------------------------------------
export type ToWorker =
  | ({ type: 'init'; version: number; config: ExperimentConfig } & InitOptions)
  | { type: 'play' }
  | { type: 'pause' }
  | { type: 'step'; count: number }
  | { type: 'setParam'; name: LiveParam; value: number }
  | { type: 'override'; id: string; mode: ManualOverride | null }
  | { type: 'export'; requestId: number; checkpoints?: boolean }
  | { type: 'dispose' };

/**
 * Every `ToWorker` type, for checking untrusted input at the worker's door. `satisfies` keeps it
 * in step with the union: a type added there and not here (or the reverse) fails to compile.
 */
const TO_WORKER = {
  init: true,
  play: true,
  pause: true,
  step: true,
  setParam: true,
  override: true,
  export: true,
  dispose: true,
} satisfies Record<ToWorker['type'], true>;
export const TO_WORKER_TYPES: ReadonlySet<string> = new Set(Object.keys(TO_WORKER));

// ---- worker → main ------------------------------------------------------------------------
/** Per-step metrics since the last push, as transferable typed arrays. */
export interface MetricsBatch {
  steps: Int32Array;
  loss: Float32Array;
  /** Cumulative charged training FLOPs after each step (policy's own, mNTK included). */
  flops: Float64Array;
  /** Cumulative FLOPs vanilla would have spent for the same steps. */
  vanillaFlops: Float64Array;
  /**
   * The run's and vanilla's cumulative FLOPs by part at the batch's last step (once per push,
   * not per step); `flops` and `vanillaFlops` there are the sums of these parts. Null when not
   * recorded (run files).
   */
  split: FlopSplits | null;
}

export interface EvaluationMsg {
  step: number;
  lambdaMax: Float64Array;
  spectra: Float64Array;
  effRank: Float64Array;
  /** λmax's standard error over the random projections per module (projected trace kernel). */
  stdErr?: Float64Array;
  /** Decisions taken at this evaluation, in module order. */
  updating: Uint8Array;
  reasons: DecisionReason[];
  /** Wall-clock ms of this mNTK evaluation (probe forward/backward, Grams, eigen). */
  ms: number;
}

/** Progress of a data download (the full Fashion-MNIST set: four gzipped files). */
export interface LoadProgress {
  /** What is loading, for the interface ("Fashion-MNIST, full set"). */
  what: string;
  /** Bytes received so far, and the total (null while a size is unknown). */
  loaded: number;
  total: number | null;
}

/** A step in progress for longer than `BUSY_AFTER_MS`. */
export interface BusyInfo {
  /** Steps completed: step `step + 1` is the one running. */
  step: number;
  /** How long it has run, in ms. */
  ms: number;
  /** Shader programs the WebGPU backend has compiled in all (null on other backends). */
  kernels: number | null;
  /** Of these, compiled since this step started (the first step on WebGPU compiles them all). */
  newKernels: number;
}

/** A step running longer than this is reported as `busy`. */
export const BUSY_AFTER_MS = 1000;

export type FromWorker =
  | {
      type: 'ready';
      version: number;
      backend: BackendInfo;
      config: ExperimentConfig;
      modules: ModuleInfo[];
      /** Analytic FLOPs of one vanilla step and of one mNTK evaluation. */
      flopsPerVanillaStep: number;
      flopsPerEvaluation: number;
      /**
       * Analytic FLOPs of one mNTK evaluation as run, charged or not (every policy runs it, for
       * the heatmap): with `flopsPerVanillaStep`, what the page's step-time estimate reads.
       */
      evaluationFlops: number;
      probeOutputs: { k: number; projections: number; exact: boolean };
      /** The task's validation metric: the `validation` messages' `perplexity` field holds it. */
      metric: MetricInfo;
    }
  | { type: 'loading'; progress: LoadProgress }
  | { type: 'metrics'; batch: MetricsBatch; medianStepMs: number | null }
  | { type: 'validation'; step: number; perplexity: number }
  /** The model-specific view (decision boundary, confusion matrix, router load). */
  | { type: 'view'; step: number; view: ModelView }
  | { type: 'evaluation'; evaluation: EvaluationMsg }
  | { type: 'decisions'; step: number; updating: Uint8Array; reasons: DecisionReason[] }
  /** A live-parameter change the session applied (from a slider or replayed from the URL). */
  | { type: 'event'; event: LoggedEvent }
  /**
   * Whether the run trains and its completed steps. The status that answers a `pause` (posted
   * once the loop has stopped, so its `step` is where training stopped) also carries
   * `pauseReceivedAt`: the steps completed when the worker received that `pause`. The loop
   * finishes the step in progress and takes no other, so `step - pauseReceivedAt` is 0 or 1.
   */
  | { type: 'status'; running: boolean; step: number; pauseReceivedAt?: number }
  /**
   * A step (with its evaluation, or the first step's shader compilation) still running after
   * `BUSY_AFTER_MS`, posted about twice a second until it ends; the next `status` or `metrics`
   * past `step` ends it.
   */
  | { type: 'busy'; busy: BusyInfo }
  | { type: 'exported'; requestId: number; run: RunFile }
  /**
   * The run at a step, to save (autosave): every `autosaveEvery` evaluations (`evaluations`) or
   * where training stopped (`paused`). Its typed arrays are transferred, not copied.
   */
  | {
      type: 'checkpoint';
      reason: 'evaluations' | 'paused';
      checkpoint: RunCheckpoint;
      /** Wall-clock ms the worker took to read it (weights and moments read back). */
      ms: number;
    }
  /**
   * The steps of the evaluations the worker keeps a checkpoint of (`CheckpointRing`): a fork
   * (`init.fork`) can start from each. Posted after `ready` and whenever the list changes.
   */
  | { type: 'checkpoints'; steps: number[] }
  | { type: 'error'; code: TrainerErrorCode; message: string; fatal: boolean };

export type TrainerErrorCode =
  'no-webgpu' | 'device-lost' | 'nan-loss' | 'data' | 'config' | 'worker-crashed' | 'internal';

export function assertNever(x: never): never {
  throw new Error(`Unexpected message: ${JSON.stringify(x)}`);
}
