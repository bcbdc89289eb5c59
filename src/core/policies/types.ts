import type { ExperimentConfig } from '../config';
import type { Rng } from '../rng';
import type { Decision, ModuleInfo } from '../types';
import type { PolicyReason } from './reasons';

/**
 * The experiment fields a policy reads: α (modular threshold), β (temporal threshold), W0
 * (warm-up in steps), w (look-back in evaluations), the reference statistic, the stop mode and
 * the progressive schedule's span.
 */
export const POLICY_PARAM_KEYS = [
  'alpha',
  'beta',
  'warmup',
  'window',
  'ref',
  'stop',
  'progSpan',
] as const satisfies readonly (keyof ExperimentConfig)[];

export type PolicyParams = Readonly<Pick<ExperimentConfig, (typeof POLICY_PARAM_KEYS)[number]>>;

/** The policy's fields of an experiment configuration, as the Session hands them to `decide`. */
export function policyParams(config: PolicyParams): PolicyParams {
  return Object.fromEntries(POLICY_PARAM_KEYS.map((k) => [k, config[k]])) as PolicyParams;
}

/** One mNTK evaluation as a policy sees it: λmax of every module, in `modules` order. */
export interface PolicyEvaluation {
  /** Completed training steps when the kernels were computed. */
  step: number;
  /** Largest eigenvalue of each module's n × n kernel Θ_m, in `modules` order. */
  lambdaMax: Float64Array;
}

/**
 * Everything a policy may use to decide; a policy is a pure function of this. Manual overrides
 * are not part of it: the Session applies them after `decide` (see `decideWithOverrides`).
 */
export interface PolicyInput {
  /** Completed training steps at this evaluation. */
  step: number;
  modules: readonly ModuleInfo[];
  /** All evaluations so far, oldest first; the last one is the current evaluation. */
  history: readonly PolicyEvaluation[];
  /**
   * Decisions in force before this one (in `modules` order, overrides included), or null at the
   * first evaluation.
   */
  previous: readonly Decision[] | null;
  params: PolicyParams;
  /** The run's RNG for this evaluation (only the random policy draws from it). */
  rng: Rng;
}

/** A decision as a policy makes it: any reason but a manual override's. */
export interface PolicyDecision extends Decision {
  reason: PolicyReason;
}

/** What the "How MAT decides" panel knows when it asks a policy for its note. */
export interface ExplainNoteContext {
  /** The module kind in words, singular and plural ("head", "heads"). */
  one: string;
  many: string;
  modules: readonly ModuleInfo[];
  params: PolicyParams;
}

/** A paragraph of the explanation panel: a bold lead, then the text. */
export interface ExplainNote {
  lead: string;
  text: string;
}

/**
 * A freezing policy: data plus a pure `decide`, and how the interface and the report show it.
 * One file per policy, registered by name in `registry.ts`.
 */
export interface Policy<N extends string = string> {
  name: N;
  /** Label for menus and report tables: "Random (matched budget)". */
  label: string;
  /** Short label for chart legends: "random (matched)". */
  shortLabel: string;
  /** What the policy does, in plain words, for the interface. */
  description: string;
  /** Whether the policy needs λmax, i.e. whether mNTK evaluations are run (and charged) for it. */
  needsKernel: boolean;
  /** One decision per module, in `input.modules` order; holds until the next evaluation. */
  decide(input: PolicyInput): PolicyDecision[];
  /**
   * Every reason `decide` can give, in legend order (the timeline legend adds the overrides').
   */
  reasons: readonly PolicyReason[];
  /** Line colour and SVG dash pattern ('' for solid) of the policy in report plots. */
  plot: { colour: string; dash: string };
  /** Sentence appended to the α/β slider note (what the sliders do to this policy), or null. */
  sliderNote: string | null;
  /** The explanation panel's paragraph about this policy (the panel explains MAT), or null. */
  explainNote: ((context: ExplainNoteContext) => ExplainNote) | null;
  /**
   * The largest evaluation interval (≤ maxK) whose decisions over `steps` steps are identical to
   * those with `base.K`. `npm run reproduce` runs policies that are not charged for the kernel
   * with it, which saves wall-clock only.
   */
  equivalentK(
    base: Pick<ExperimentConfig, 'K' | 'warmup' | 'progSpan'>,
    steps: number,
    maxK: number,
  ): number;
}
