import type { ModuleKind } from './families/module-kinds';
import type { DecisionReason } from './policies/reasons';

/** Kinds of MAT module (the table is `families/module-kinds.ts`). */
export type { ModuleKind };

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

/** Why a module is (not) updated; one entry per reason in `policies/reasons.ts`. */
export type { DecisionReason };

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
  /**
   * The standard error of each λmax over the estimator's random projections (projected trace
   * kernel only; absent where the kernel is exact for its probe).
   */
  stdErr?: Float64Array;
}

export type ManualOverride = 'on' | 'off';
