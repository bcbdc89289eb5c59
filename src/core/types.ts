/** Kinds of MAT module. Policies compare λmax only among modules of the same kind. */
export type ModuleKind = 'head' | 'expert' | 'filters' | 'neuron' | 'ffn';

/** A set of parameters MAT freezes or updates as a unit. */
export interface ModuleInfo {
  /** Stable id, e.g. `L0.H3` (layer 0, head 3). */
  id: string;
  kind: ModuleKind;
  /** Depth index (layer), used for ordering rows and by depth-ordered policies. */
  layer: number;
  /** Index within its layer. */
  index: number;
  /** Number of scalar parameters in the module. */
  params: number;
}

/**
 * Why a module is (not) updated between this evaluation and the next.
 * - `warmup`: inside the warm-up W0, everything trains.
 * - `all`: the vanilla policy trains everything.
 * - `active`: λmax ≥ α·ref and not settled.
 * - `frozen-alpha`: λmax < α·ref (modular rule).
 * - `stopped-beta`: λmax has settled, relative change < β over the window (temporal rule).
 * - `random-on` / `random-off`: chosen by the random matched-budget control.
 * - `frozen-schedule`: frozen by the progressive (FreezeOut-style) depth schedule.
 * - `forced-on` / `forced-off`: manual override by the user.
 */
export type DecisionReason =
  | 'warmup'
  | 'all'
  | 'active'
  | 'frozen-alpha'
  | 'stopped-beta'
  | 'random-on'
  | 'random-off'
  | 'frozen-schedule'
  | 'forced-on'
  | 'forced-off';

export interface Decision {
  updating: boolean;
  reason: DecisionReason;
}

/** One mNTK evaluation: λmax and full spectrum of every module's n × n kernel Θ_m. */
export interface Evaluation {
  /** Completed training steps when the kernel was computed. */
  step: number;
  /** λmax per module, in `modules` order. */
  lambdaMax: Float64Array;
  /** Eigenvalues per module, descending, `modules.length × n` row-major. */
  spectra: Float64Array;
  /** Effective rank exp(−Σ p ln p), p = λ / Σλ, per module. */
  effRank: Float64Array;
}

export type ManualOverride = 'on' | 'off';
