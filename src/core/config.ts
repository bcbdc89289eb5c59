import { z } from 'zod';
import { DATASETS, MODELS, MODEL_DATA, STEP_KERNEL_MODELS } from './families/descriptors';
import { POLICIES } from './policies/registry';
import type { PolicyName } from './policies/registry';
import { DEFAULT_MODULES, MODULE_LISTS } from './families/transformer/selection';

/** Policy names come from the policy registry (one `Policy` file per policy). */
export { POLICIES };
export type { PolicyName };

/** Models, data sets and presets come from the family registry (`families/descriptors.ts`). */
export { MODELS, MODEL_DATA };
export type { ModelName } from './families/descriptors';
export const ACTIVATIONS = ['tanh', 'relu'] as const;
export const BACKENDS = ['auto', 'webgpu', 'webgl', 'wasm', 'cpu'] as const;
export const REFS = ['mean', 'median', 'max'] as const;
/**
 * The mNTK (docs/method.md, "The kernel"): `trace` and `loss` on the fixed probe batch, each
 * its own forward and backward; `step` the loss kernel of the training batch's first n samples,
 * taken from the training step's own forward and backward (families with `stepKernel` only).
 */
export const KERNELS = ['trace', 'loss', 'step'] as const;
export const STOP_MODES = ['recheck', 'sticky'] as const;
/** Parameters a user may change while a run goes on; each change is logged as an event. */
export const LIVE_PARAMS = ['alpha', 'beta'] as const;

export type BackendChoice = (typeof BACKENDS)[number];
export type LiveParam = (typeof LIVE_PARAMS)[number];

/**
 * A change of a live parameter. `step` is the number of completed training steps at which the
 * new value took effect (the evaluation it was applied at, or the paused step), so replaying
 * the log applies it at exactly the same point of the run.
 */
export interface ParamEvent {
  step: number;
  name: LiveParam;
  value: number;
}

/** A module's manual override in the event log: forced on, forced off, or back to the policy. */
export const OVERRIDE_MODES = ['on', 'off', 'auto'] as const;
export type OverrideMode = (typeof OVERRIDE_MODES)[number];
/** A module id as a link may carry it (`L0.H3`, `L1.E0`, `C2.G1`, `L0.N5`, `E`). */
export const MODULE_ID_PATTERN = /^[A-Za-z][A-Za-z0-9.]{0,31}$/;

/**
 * A manual override (the drill-down's Force on / Force off / Let the policy decide). `step` is
 * the number of completed steps when it took effect: it applies before that step trains (and
 * before the evaluation due at that step), so a replay applies it at the same point of the run.
 */
export interface OverrideEvent {
  step: number;
  name: 'override';
  module: string;
  mode: OverrideMode;
}

/** An entry of the run's event log: a slider move or a manual override. */
export type RunEvent = ParamEvent | OverrideEvent;

/** A live-parameter change as logged: when it took effect, and the old and new values. */
export interface LoggedParamEvent {
  step: number;
  name: LiveParam;
  from: number;
  to: number;
}

/** A manual override as logged: when it took effect, the module, its old and new state. */
export interface LoggedOverrideEvent {
  step: number;
  name: 'override';
  module: string;
  from: OverrideMode;
  to: OverrideMode;
}

/** An entry of a run's event log (slider moves and manual overrides, in order). */
export type LoggedEvent = LoggedParamEvent | LoggedOverrideEvent;

/** A logged event as the link and the run file's `config.events` carry it (its new value). */
export function runEventOf(e: LoggedEvent): RunEvent {
  return e.name === 'override'
    ? { step: e.step, name: 'override', module: e.module, mode: e.to }
    : { step: e.step, name: e.name, value: e.to };
}

/**
 * Most entries in an experiment's `events`: what a link carries. 10,000 typical slider moves make
 * a compressed link of about 56 KB (README, "The shareable URL"); a run file holds up to 100,000
 * (`RUN_FILE_CAPS.events`, every change a run logs), and a run with more changes than a link
 * carries says so beside Copy link.
 */
export const MAX_LINK_EVENTS = 10_000;

/** The MLP's caps (`hidden`): layers, and neurons per layer. */
export const MLP_MAX_LAYERS = 6;
export const MLP_MAX_WIDTH = 32;
/** A width from 1 to 32 (`MLP_MAX_WIDTH`), one to six (`MLP_MAX_LAYERS`) times. */
const WIDTH = '(?:[1-9]|[12]\\d|3[0-2])';
const MLP_HIDDEN_PATTERN = new RegExp(`^${WIDTH}(?:,${WIDTH}){0,${MLP_MAX_LAYERS - 1}}$`);

const int = (min: number, max: number) => z.number().int().min(min).max(max);

/** The VGG's channels per stage. */
const CHANNEL_WORDS = '1 to 4 comma-separated channel counts from 1 to 999, e.g. 16,32';
/** The VGG's hidden classifier stages: `none`, or one or two widths from 1 to 512. */
const FC_PATTERN = /^(none|([1-9]\d{0,2})(,[1-9]\d{0,2})?)$/;
const FC_WORDS = 'none, or one or two comma-separated widths from 1 to 512, e.g. 64';
/** The MLP's input features. */
const FEATURE_WORDS = 'features from x, y, x2, y2, xy, sinx, siny, each at most once';
const num = (min: number, max: number) => z.number().min(min).max(max);

/** Every field of an experiment; the URL holds all of them, so a link replays the run. */
export const ExperimentSchema = z
  .object({
    model: z.enum(MODELS),
    data: z.enum(DATASETS),
    /** Transformer depth L. */
    layers: int(1, 8),
    /** Attention heads per layer H; each head is one MAT module. */
    heads: int(1, 16),
    /** Model width d; must be divisible by `heads` (head width d_h = d / H). */
    dModel: int(8, 512),
    /** FFN hidden width. */
    dFF: int(8, 2048),
    /** Sequence length T. */
    seqLen: int(4, 256),
    /** Vocabulary cap V: token ids ≥ V become [UNK]. */
    vocab: int(16, 8192),
    batch: int(1, 256),
    /** Switch-Transformer: experts per layer (each a MAT module) and capacity factor. */
    experts: int(1, 16),
    capacity: num(1, 4),
    /**
     * Transformers: which parts are MAT modules (families/transformer/selection.ts): heads, and
     * optionally each layer's FFN block and the embeddings. A config without it (a run file or
     * report written before it existed) reads as `heads`: the modules every such file has.
     */
    modules: z.enum(MODULE_LISTS).default(DEFAULT_MODULES),
    /**
     * MLP: hidden layer widths, comma-separated (each neuron a MAT module): at most
     * `MLP_MAX_LAYERS` layers of 1 to `MLP_MAX_WIDTH` neurons. Wider layers cannot run in a tab:
     * the network diagram draws every weight (999-wide layers: a million lines per layer pair,
     * which crashed the renderer) and every neuron is a heatmap row.
     */
    hidden: z
      .string()
      .regex(
        MLP_HIDDEN_PATTERN,
        `comma-separated widths, e.g. 8,8: 1 to ${MLP_MAX_LAYERS} layers of 1 to ${MLP_MAX_WIDTH} neurons`,
      ),
    activation: z.enum(ACTIVATIONS),
    /** MLP input features, comma-separated from x, y, x2, y2, xy, sinx, siny. */
    features: z
      .string()
      .regex(/^(x|y|x2|y2|xy|sinx|siny)(,(x|y|x2|y2|xy|sinx|siny)){0,6}$/, FEATURE_WORDS)
      .refine((v) => new Set(v.split(',')).size === v.split(',').length, FEATURE_WORDS),
    /** 2D toy data: points, Gaussian noise, share held out for testing. */
    points: int(40, 5000),
    noise: num(0, 1),
    testRatio: num(0.1, 0.9),
    /** VGG: output channels per stage, comma-separated, and filter-group size g. */
    channels: z
      .string()
      .regex(/^\d{1,3}(,\d{1,3}){0,3}$/, CHANNEL_WORDS)
      .refine((v) => v.split(',').every((c) => Number(c) >= 1), CHANNEL_WORDS),
    groupSize: int(1, 64),
    /**
     * VGG: widths of the classifier's hidden dense stages (VGG's FC layers; each cut into unit
     * groups of `groupSize`, MAT modules of kind `units`), comma-separated; `none` (the default,
     * and what a config without the field means): the classifier is one dense layer.
     */
    fc: z.string().regex(FC_PATTERN, FC_WORDS).default('none'),
    /**
     * VGG: training images used. Up to 5,000 come from the committed subset; more load the
     * full 60,000-image training file (59,000 besides the 1,000 validation images).
     */
    images: int(100, 59000),
    /** Progressive freezing: steps between freezing successive layers of modules. */
    progSpan: int(1, 1_000_000),
    lr: num(1e-6, 1),
    policy: z.enum(POLICIES),
    /** Modular threshold: module active iff λmax ≥ α · ref(λmax over modules of its kind). */
    alpha: num(0, 10),
    /** Temporal threshold: module stops when |Δλmax| / λmax over `window` evaluations < β. */
    beta: num(0, 1),
    /** Evaluation interval K in steps. */
    K: int(1, 1000),
    /** Warm-up W0: steps with every module active before MAT decides. */
    warmup: int(0, 100000),
    /** Look-back w of the temporal rule, in evaluations. */
    window: int(1, 100),
    ref: z.enum(REFS),
    stop: z.enum(STOP_MODES),
    /** Probe batch size n (kernel is n × n). */
    probe: int(2, 64),
    /** Random output projections R for the trace kernel when k > 16. */
    R: int(1, 64),
    kernel: z.enum(KERNELS),
    seed: int(0, 2 ** 31 - 1),
    backend: z.enum(BACKENDS),
    /** Validation perplexity every this many steps. */
    valEvery: int(1, 100000),
    /** Number of validation batches (of `batch` windows). */
    valBatches: int(1, 64),
    autoplay: z.boolean(),
    /** Pause when this many steps are done (0: never). */
    stopAt: int(0, 10_000_000),
    /** Slider moves and manual overrides, each with the step it took effect (`RunEvent`). */
    events: z
      .array(
        z.union([
          z.object({ step: int(0, 10_000_000), name: z.enum(LIVE_PARAMS), value: num(0, 10) }),
          z.object({
            step: int(0, 10_000_000),
            name: z.literal('override'),
            module: z.string().regex(MODULE_ID_PATTERN),
            mode: z.enum(OVERRIDE_MODES),
          }),
        ]),
      )
      .max(MAX_LINK_EVENTS),
  })
  .strict()
  .refine((c) => c.dModel % c.heads === 0, {
    message: 'dModel must be divisible by heads',
    path: ['dModel'],
  })
  .refine((c) => c.channels.split(',').every((ch) => Number(ch) % c.groupSize === 0), {
    message: 'every channel count must be a multiple of groupSize (the filter-group size)',
    path: ['channels'],
  })
  .refine((c) => fcWidths(c.fc).every((w) => w <= 512 && w % c.groupSize === 0), {
    message: 'every classifier stage width must be at most 512 and a multiple of groupSize',
    path: ['fc'],
  })
  .refine((c) => MODEL_DATA[c.model].includes(c.data), {
    message: 'this data set does not fit the model',
    path: ['data'],
  })
  .refine((c) => c.kernel !== 'step' || STEP_KERNEL_MODELS.includes(c.model), {
    message: `the step kernel is available for ${STEP_KERNEL_MODELS.join(' and ')} only`,
    path: ['kernel'],
  })
  .refine((c) => c.kernel !== 'step' || c.probe <= c.batch, {
    message: 'the step kernel takes its n samples from the training batch: needs probe ≤ batch',
    path: ['kernel'],
  });

export type ExperimentConfig = z.infer<typeof ExperimentSchema>;

/** The widths of a config's `fc` field: none for `none`. */
export function fcWidths(fc: string): number[] {
  return fc === 'none' ? [] : fc.split(',').map(Number);
}

/** Defaults: a step is interactive on a laptop GPU and MAT shows a mix of active and frozen heads. */
export const DEFAULT_CONFIG: ExperimentConfig = {
  model: 'bert',
  data: 'austen',
  layers: 2,
  heads: 4,
  dModel: 64,
  dFF: 128,
  seqLen: 32,
  vocab: 2000,
  batch: 16,
  experts: 4,
  capacity: 1.25,
  modules: DEFAULT_MODULES,
  hidden: '8,8',
  activation: 'tanh',
  features: 'x,y',
  points: 400,
  noise: 0.1,
  testRatio: 0.3,
  channels: '16,32',
  fc: 'none',
  groupSize: 8,
  images: 2000,
  progSpan: 100,
  lr: 2e-3,
  policy: 'mat',
  alpha: 0.9,
  beta: 0.02,
  K: 10,
  warmup: 50,
  window: 3,
  ref: 'mean',
  stop: 'recheck',
  probe: 16,
  R: 4,
  kernel: 'trace',
  seed: 1,
  backend: 'auto',
  valEvery: 50,
  valBatches: 4,
  autoplay: false,
  stopAt: 0,
  events: [],
};
