import type { ExperimentConfig, PolicyName } from '../config';
import type { Rng } from '../rng';
import type { Decision, ManualOverride, ModuleInfo } from '../types';

/**
 * The experiment fields a policy reads: α (modular threshold), β (temporal threshold), W0
 * (warm-up in steps), w (look-back in evaluations), the reference statistic and the stop mode.
 */
export type PolicyParams = Readonly<
  Pick<ExperimentConfig, 'alpha' | 'beta' | 'warmup' | 'window' | 'ref' | 'stop' | 'progSpan'>
>;

/** One mNTK evaluation as a policy sees it: λmax of every module, in `modules` order. */
export interface PolicyEvaluation {
  /** Completed training steps when the kernels were computed. */
  step: number;
  /** Largest eigenvalue of each module's n × n kernel Θ_m, in `modules` order. */
  lambdaMax: Float64Array;
}

/** Everything a policy may use to decide; a policy is a pure function of this. */
export interface PolicyInput {
  /** Completed training steps at this evaluation. */
  step: number;
  modules: readonly ModuleInfo[];
  /** All evaluations so far, oldest first; the last one is the current evaluation. */
  history: readonly PolicyEvaluation[];
  /** Decisions in force before this one (in `modules` order), or null at the first evaluation. */
  previous: readonly Decision[] | null;
  params: PolicyParams;
  /** Manual overrides by module id; applied last, by every policy. */
  overrides: ReadonlyMap<string, ManualOverride>;
  /** The run's RNG for this evaluation (only the random policy draws from it). */
  rng: Rng;
}

/** A freezing policy: data plus a pure `decide`, registered by name in `registry.ts`. */
export interface Policy {
  name: PolicyName;
  /** Short label for menus. */
  label: string;
  /** What the policy does, in plain words, for the interface. */
  description: string;
  /** Whether the policy needs λmax, i.e. whether mNTK evaluations are run (and charged) for it. */
  needsKernel: boolean;
  /** One decision per module, in `input.modules` order; holds until the next evaluation. */
  decide(input: PolicyInput): Decision[];
}
