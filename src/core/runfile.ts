import type { ExperimentConfig, ParamEvent } from './config';
import type { DecisionReason, ModuleInfo } from './types';

export const RUN_FORMAT = 'mat-lab-run';
export const RUN_FORMAT_VERSION = 1;

/** A named tensor in a run file: shape and row-major values. */
export interface SavedTensor {
  name: string;
  shape: number[];
  values: number[];
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
  events: { step: number; name: ParamEvent['name']; from: number; to: number }[];
  metrics: { step: number[]; loss: number[]; flops: number[]; vanillaFlops: number[] };
  validation: { step: number[]; perplexity: number[] };
  evaluations: {
    step: number;
    lambdaMax: number[];
    spectra: number[][];
    effRank: number[];
    updating: boolean[];
    reasons: DecisionReason[];
  }[];
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
    kernel: ExperimentConfig['kernel'];
  };
  /** Final weights, including every module's variables. */
  weights: SavedTensor[];
  step: number;
}
