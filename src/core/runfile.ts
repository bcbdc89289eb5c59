import { z } from 'zod';
import type { ExperimentConfig, LoggedEvent } from './config';
import { ExperimentSchema, LIVE_PARAMS, MODULE_ID_PATTERN, OVERRIDE_MODES } from './config';
import { MODULE_KIND_NAMES } from './families/module-kinds';
import { DECISION_REASONS } from './policies/reasons';
import type { SavedCheckpoint } from './checkpoint-json';
import { MAX_FILE_CHECKPOINTS, SavedCheckpointSchema } from './checkpoint-json';
import { MAX_FILE_STEP, runFileProblems } from './runfile-checks';
import type { DecisionReason, ModuleInfo } from './types';
import type { ModelView } from './families/types';

export const RUN_FORMAT = 'mat-lab-run';
/**
 * 3: manual overrides in `events` and `config.events`. 2: adds `exportEvaluation`, the kernels at
 * exactly the exported weights. Version-1 and -2 files are still accepted (theirs are a subset).
 */
export const RUN_FORMAT_VERSION = 3;

/** A named tensor in a run file: shape and row-major values. */
export interface SavedTensor {
  name: string;
  shape: number[];
  values: number[];
}

/** Every module's kernel spectrum at one point of the run, in module order. */
export interface RunEvaluation {
  /** Completed training steps of the weights the kernels were computed on. */
  step: number;
  lambdaMax: number[];
  /** Per module, all n eigenvalues, descending. */
  spectra: number[][];
  effRank: number[];
  /** Per module, λmax's standard error over the random projections (projected trace kernel). */
  stdErr?: number[];
}

/**
 * One exported run: everything needed to view it again and, from `weights` and `probe`, to
 * recompute λmax independently. The format is documented in docs/run-format.md.
 */
export interface RunFile {
  format: typeof RUN_FORMAT;
  version: number;
  createdAt: string;
  config: ExperimentConfig;
  backend: { backend: string; adapter: string; isFallbackAdapter: boolean };
  modules: ModuleInfo[];
  /** Slider moves and manual overrides as the Session logged them (docs/run-format.md). */
  events: LoggedEvent[];
  metrics: { step: number[]; loss: number[]; flops: number[]; vanillaFlops: number[] };
  /** Validation metric per validation step; `metric` says which (perplexity or accuracy). */
  validation: { step: number[]; perplexity: number[] };
  metric: { name: 'perplexity' | 'accuracy'; higherIsBetter: boolean };
  /** Analytic FLOPs of one vanilla step and of one mNTK evaluation, and the probe's outputs. */
  flops: { perVanillaStep: number; perEvaluation: number };
  probeOutputs: { k: number; projections: number; exact: boolean };
  /**
   * The scheduled evaluations, each on the weights after `step` completed steps (taken before
   * step `step` + 1 trains), with the decision in force after it.
   */
  evaluations: (RunEvaluation & { updating: boolean[]; reasons: DecisionReason[] })[];
  /**
   * The kernels at exactly `weights` (its `step` = the file's `step`), computed at export and
   * used for no decision. Absent in version-1 files, whose newest evaluation is older than
   * `weights`.
   */
  exportEvaluation?: RunEvaluation;
  /**
   * The model's own view (decision boundary, confusion matrix, router load) at the exported
   * weights, typed arrays written as number arrays; absent when the model has none and in files
   * written before it was recorded.
   */
  modelView?: { step: number; view: SavedModelView };
  /** The measured median wall-clock ms per step at export; null: not measured; absent in older files. */
  medianStepMs?: number | null;
  /**
   * Checkpoints at evaluations, for forks (issue 11): written by an export "with checkpoints"
   * (`core/checkpoint-json.ts`, docs/run-format.md); absent otherwise.
   */
  checkpoints?: SavedCheckpoint[];
  probe: {
    /** Token ids of the probe batch, n × T, and the masked positions/targets. */
    inputs: number[];
    positions: number[];
    targets: number[];
    n: number;
    seqLen: number;
    masked: number;
    /** Output projections p_r (R × k, row-major) and the weight w: Θ = w Σ_r G_r G_rᵀ. */
    projections: number[];
    numProjections: number;
    weight: number;
    /** The probe's kernel: a `kernel=step` run writes `loss` (the kernel it evaluates at export). */
    kernel: 'trace' | 'loss';
  };
  /** Final weights, including every module's variables. */
  weights: SavedTensor[];
  step: number;
}

const num = z.number();

/** A {@link ModelView} as JSON: its typed arrays as number arrays. */
export type SavedModelView =
  | {
      kind: 'boundary';
      resolution: number;
      extent: number;
      classes: number;
      probs: number[];
      train: { x: number[]; y: number[] };
      test: { x: number[]; y: number[] };
    }
  | { kind: 'confusion'; classes: string[]; matrix: number[] }
  | { kind: 'router'; load: Record<string, number>; tokensPerLayer: number; capacity: number };

/** Most numbers one array of a saved model view may hold (a 200² grid of 10 classes is 400,000). */
const MAX_VIEW_NUMBERS = 1_000_000;
const viewNumbers = z.array(num).max(MAX_VIEW_NUMBERS);
const viewInts = z.array(z.number().int()).max(MAX_VIEW_NUMBERS);
const SavedModelViewSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('boundary'),
    resolution: z.number().int().min(1).max(1000),
    extent: num,
    classes: z.number().int().min(1).max(1000),
    probs: viewNumbers,
    train: z.object({ x: viewNumbers, y: viewInts }),
    test: z.object({ x: viewNumbers, y: viewInts }),
  }),
  z.object({
    kind: z.literal('confusion'),
    classes: z.array(z.string().max(64)).max(1000),
    matrix: viewInts,
  }),
  z.object({
    kind: z.literal('router'),
    load: z.record(z.string().max(32), num),
    tokensPerLayer: num,
    capacity: num,
  }),
]);

/** A model view as a run file holds it. */
export function saveModelView(v: ModelView): SavedModelView {
  switch (v.kind) {
    case 'boundary':
      return {
        ...v,
        probs: Array.from(v.probs),
        train: { x: Array.from(v.train.x), y: Array.from(v.train.y) },
        test: { x: Array.from(v.test.x), y: Array.from(v.test.y) },
      };
    case 'confusion':
      return { kind: 'confusion', classes: v.classes.slice(), matrix: Array.from(v.matrix) };
    case 'router':
      return { ...v, load: { ...v.load } };
  }
}

/** A run file's model view back as the view the panel draws. */
export function loadModelView(v: SavedModelView): ModelView {
  switch (v.kind) {
    case 'boundary':
      return {
        ...v,
        probs: Float32Array.from(v.probs),
        train: { x: Float32Array.from(v.train.x), y: Int32Array.from(v.train.y) },
        test: { x: Float32Array.from(v.test.x), y: Int32Array.from(v.test.y) },
      };
    case 'confusion':
      return { kind: 'confusion', classes: v.classes.slice(), matrix: Int32Array.from(v.matrix) };
    case 'router':
      return { ...v, load: { ...v.load } };
  }
}
/**
 * Caps checked before any cross-field check (docs/run-format.md, "Checks on import"): what the
 * config's own caps allow (probe n ≤ 64, at most 4,096 modules), and generous counts beyond what
 * a browser run produces.
 */
export const RUN_FILE_CAPS = {
  /** Modules, and entries of every per-module array. */
  modules: 4096,
  /** Eigenvalues per spectrum row: the probe's n (the config allows at most 64). */
  spectrumValues: 64,
  /** Scheduled evaluations. */
  evaluations: 1_000_000,
  /** Entries of each metrics and validation array (steps). */
  steps: 10_000_000,
  /** Named tensors in `weights`. */
  tensors: 10_000,
  /** Entries of `events` and of `config.events`. */
  events: 100_000,
} as const;

/** A step count: an integer in [0, 2³¹]. */
const stepNum = z.number().int().min(0).max(MAX_FILE_STEP);
const perModule = <T extends z.ZodType>(t: T) => z.array(t).max(RUN_FILE_CAPS.modules);
const EvaluationSchema = z.object({
  step: stepNum,
  lambdaMax: perModule(num.nullable()),
  spectra: perModule(z.array(num.nullable()).max(RUN_FILE_CAPS.spectrumValues)),
  effRank: perModule(num.nullable()),
  stdErr: perModule(num.nullable()).optional(),
});
const RunFileSchema = z
  .object({
    format: z.literal(RUN_FORMAT),
    version: z.number().int().min(1).max(RUN_FORMAT_VERSION),
    createdAt: z.string().max(64),
    // A link carries at most MAX_LINK_EVENTS (10,000); a run file holds every logged change.
    config: ExperimentSchema.safeExtend({
      events: ExperimentSchema.shape.events.element.array().max(RUN_FILE_CAPS.events),
    }),
    backend: z.object({
      backend: z.string().max(32),
      adapter: z.string().max(256),
      isFallbackAdapter: z.boolean(),
    }),
    modules: z
      .array(
        z.object({
          id: z.string().max(32),
          kind: z.enum(MODULE_KIND_NAMES),
          layer: z.number().int().min(0),
          index: z.number().int().min(0),
          params: z.number().int().min(0),
        }),
      )
      .max(RUN_FILE_CAPS.modules),
    events: z
      .array(
        z.union([
          z.object({
            step: z.number().int().min(0),
            name: z.enum(LIVE_PARAMS),
            from: num,
            to: num,
          }),
          z.object({
            step: z.number().int().min(0),
            name: z.literal('override'),
            module: z.string().regex(MODULE_ID_PATTERN),
            from: z.enum(OVERRIDE_MODES),
            to: z.enum(OVERRIDE_MODES),
          }),
        ]),
      )
      .max(RUN_FILE_CAPS.events),
    metrics: z.object({
      step: z.array(stepNum).max(RUN_FILE_CAPS.steps),
      loss: z.array(num.nullable()).max(RUN_FILE_CAPS.steps),
      flops: z.array(num).max(RUN_FILE_CAPS.steps),
      vanillaFlops: z.array(num).max(RUN_FILE_CAPS.steps),
    }),
    validation: z.object({
      step: z.array(stepNum).max(RUN_FILE_CAPS.steps),
      perplexity: z.array(num.nullable()).max(RUN_FILE_CAPS.steps),
    }),
    metric: z.object({ name: z.enum(['perplexity', 'accuracy']), higherIsBetter: z.boolean() }),
    flops: z.object({ perVanillaStep: num, perEvaluation: num }),
    probeOutputs: z.object({
      k: z.number().int(),
      projections: z.number().int(),
      exact: z.boolean(),
    }),
    evaluations: z
      .array(
        EvaluationSchema.extend({
          updating: perModule(z.boolean()),
          // An enum: a reason this build does not draw (or markup) is refused, never rendered.
          reasons: perModule(z.enum(DECISION_REASONS as [DecisionReason, ...DecisionReason[]])),
        }),
      )
      .max(RUN_FILE_CAPS.evaluations),
    exportEvaluation: EvaluationSchema.optional(),
    modelView: z.object({ step: stepNum, view: SavedModelViewSchema }).optional(),
    medianStepMs: z.number().min(0).nullable().optional(),
    checkpoints: z.array(SavedCheckpointSchema).max(MAX_FILE_CHECKPOINTS).optional(),
    probe: z.object({
      inputs: z.array(num),
      positions: z.array(num),
      targets: z.array(num),
      n: z.number().int().min(1),
      seqLen: z.number().int().min(1),
      masked: z.number().int().min(1),
      projections: z.array(num),
      numProjections: z.number().int().min(1),
      weight: num,
      kernel: z.enum(['trace', 'loss']),
    }),
    weights: z
      .array(
        z.object({
          name: z.string().max(128),
          shape: z.array(z.number().int().min(0).max(MAX_FILE_STEP)).max(8),
          // A diverged run's NaN or infinite weights are written as null (and read back as such).
          values: z.array(num.nullable()),
        }),
      )
      .max(RUN_FILE_CAPS.tensors),
    step: stepNum,
  })
  .superRefine((run, ctx) => {
    for (const p of runFileProblems(run))
      ctx.addIssue({ code: 'custom', path: p.path, message: p.message });
  });

export class RunFileError extends Error {
  override name = 'RunFileError';
}

/**
 * Largest run file accepted on import, checked before the text is read or parsed (the weights of
 * the default model are ≈ 2 MB of JSON; a 10,000-step BERT run with its evaluations ≈ 10 MB).
 */
export const MAX_RUN_FILE_BYTES = 100 * 1024 * 1024;

/** The sentence for a file over {@link MAX_RUN_FILE_BYTES}, or null when its size is fine. */
export function runFileTooLarge(bytes: number, name: string): string | null {
  if (bytes <= MAX_RUN_FILE_BYTES) return null;
  return `${name} is ${(bytes / 2 ** 20).toFixed(0)} MB, more than the ${MAX_RUN_FILE_BYTES / 2 ** 20} MB a run file may have; it was not read.`;
}

/**
 * Parses and validates an imported run file. Throws RunFileError with a sentence naming the
 * first bad field; never returns a partially valid run.
 */
export function validateRunFile(json: unknown): RunFile {
  const r = RunFileSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    const where = issue.path.join('.') || 'file';
    throw new RunFileError(`This is not a valid MAT Lab run file: ${where}: ${issue.message}.`);
  }
  // Per-module arrays, spectra, weights, metrics and steps were checked by the schema's
  // cross-field rules (runfile-checks.ts).
  const run = r.data as RunFile;
  const M = run.modules.length;
  const atExport = run.exportEvaluation;
  if (run.version >= 2 && !atExport) {
    throw new RunFileError(
      'This is not a valid MAT Lab run file: exportEvaluation: missing (required from version 2).',
    );
  }
  if (atExport && (atExport.step !== run.step || atExport.lambdaMax.length !== M)) {
    throw new RunFileError(
      `This run file is inconsistent: exportEvaluation: the evaluation at export must be at step ${run.step} and cover all ${M} modules.`,
    );
  }
  const view = run.modelView?.view;
  if (view && !modelViewConsistent(view)) {
    throw new RunFileError(
      `This run file is inconsistent: modelView.view: its ${view.kind} view does not have the sizes it declares.`,
    );
  }
  return run;
}

/** Whether a saved view's arrays have the sizes its own numbers give. */
function modelViewConsistent(v: SavedModelView): boolean {
  switch (v.kind) {
    case 'boundary':
      return (
        v.probs.length === v.resolution * v.resolution * v.classes &&
        v.train.x.length === 2 * v.train.y.length &&
        v.test.x.length === 2 * v.test.y.length
      );
    case 'confusion':
      return v.matrix.length === v.classes.length * v.classes.length;
    case 'router':
      return true;
  }
}
