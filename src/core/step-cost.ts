/**
 * What a training step will cost in wall-clock time before it runs: the analytic FLOPs of a step
 * and of an mNTK evaluation (the trainer's `ready` message) at a conservative rate for the
 * backend, plus a fixed per-step overhead (kernel dispatch, readbacks). Once steps have run, the
 * measured median ms/step replaces the rate. Pure: no TF.js, no DOM.
 */

/** The backend as the badge knows it. */
export interface CostBackend {
  backend: string;
  isFallbackAdapter: boolean;
}

/** A backend's assumed speed: effective FLOP/s on the lab's small ops, and ms per step besides. */
export interface BackendRate {
  flopsPerSecond: number;
  overheadMs: number;
  /** Where the figure comes from, for the README and the dialog's "how" line. */
  basis: string;
}

/**
 * Effective rates, chosen on the slow side of what was measured (the guard should ask rather
 * than hang the tab):
 * - `wasm`: bench/results (2 cores): the default BERT at 0.2-0.37 s per step for ≈ 0.4 GFLOP of
 *   step and amortised evaluation, 1.1-1.8 GFLOP/s; VGG 1.9 GFLOP/s. Taken as 1 GFLOP/s.
 * - `webgpu-software` (SwiftShader: WebGPU run by the CPU), measured in the e2e Chromium on 2
 *   shared cores after the first step: 0.45-0.7 s per step for models of under 1 MFLOP (the
 *   overhead), 8.2 s for the default BERT's 307 MFLOP step (≈ 0.04 GFLOP/s); the issue measured
 *   10.8 s per step for it with its evaluations (README, "What a step costs").
 * - `webgpu` on a hardware adapter: TF.js on small matmuls reaches a few % of a laptop GPU's
 *   peak; 20 GFLOP/s is a low-end integrated GPU's share.
 * - `webgl`: TF.js's WebGL kernels, a quarter of WebGPU's rate; `cpu`: TF.js's plain JavaScript
 *   kernels, 0.2 GFLOP/s.
 */
export const BACKEND_RATES = {
  webgpu: { flopsPerSecond: 20e9, overheadMs: 10, basis: 'a low-end GPU' },
  'webgpu-software': {
    flopsPerSecond: 0.04e9,
    overheadMs: 500,
    basis: 'SwiftShader, measured in the e2e run',
  },
  webgl: { flopsPerSecond: 5e9, overheadMs: 10, basis: 'a quarter of WebGPU' },
  wasm: { flopsPerSecond: 1e9, overheadMs: 20, basis: 'the WASM benchmark on 2 cores' },
  cpu: { flopsPerSecond: 0.2e9, overheadMs: 5, basis: "TF.js's JavaScript kernels" },
} as const satisfies Record<string, BackendRate>;

export type RateKey = keyof typeof BACKEND_RATES;

/** The rate table's entry for a backend (a software WebGPU adapter has its own). */
export function rateKey(b: CostBackend): RateKey {
  if (b.backend === 'webgpu') return b.isFallbackAdapter ? 'webgpu-software' : 'webgpu';
  return b.backend in BACKEND_RATES ? (b.backend as RateKey) : 'cpu';
}

/**
 * Above this many ms for an average step, Play and Step ask first: twice the default BERT's
 * step on a software adapter (≈ 10 s, which the software-adapter notice explains), far below
 * the 83-115 s steps that hung the tab.
 */
export const CONFIRM_ABOVE_MS = 20_000;

export interface StepCostInput {
  /** Analytic FLOPs of one step with every module updated. */
  flopsPerStep: number;
  /** Analytic FLOPs of one mNTK evaluation as run (every policy runs it, for the heatmap). */
  flopsPerEvaluation: number;
  /** Evaluation interval in steps. */
  K: number;
  backend: CostBackend;
  /** Measured median ms per step of this run (or of this config earlier on the page). */
  measuredMs: number | null;
}

export interface StepCost {
  /** Average ms per step, evaluations every K steps included. */
  msPerStep: number;
  /** Ms of a step that starts with an evaluation (step 0 and every K-th): the longest wait. */
  msWithEvaluation: number;
  /** Whether `msPerStep` is measured (else estimated from FLOPs). */
  measured: boolean;
  rate: BackendRate;
}

export function estimateStepCost(input: StepCostInput): StepCost {
  const rate: BackendRate = BACKEND_RATES[rateKey(input.backend)];
  const K = Math.max(1, input.K);
  const stepMs = rate.overheadMs + (1000 * input.flopsPerStep) / rate.flopsPerSecond;
  const evalMs = (1000 * input.flopsPerEvaluation) / rate.flopsPerSecond;
  const average = stepMs + evalMs / K;
  const measured = input.measuredMs !== null && input.measuredMs > 0;
  // A measured average scales the estimate's step with evaluation by the same factor.
  const scale = measured ? input.measuredMs! / average : 1;
  return {
    msPerStep: average * scale,
    msWithEvaluation: (stepMs + evalMs) * scale,
    measured,
    rate,
  };
}

/**
 * Whether Play or Step should ask before starting: an average step (its share of the evaluation
 * every K steps included) would take longer than `CONFIRM_ABOVE_MS`. The dialog names the
 * longer wait of a step that starts with an evaluation too.
 */
export function needsConfirmation(cost: StepCost): boolean {
  return cost.msPerStep > CONFIRM_ABOVE_MS;
}

/** A duration in words for the status line: "40 ms", "1.2 s", "83 s", "4 min", "2.1 h". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '∞';
  if (ms < 1) return '< 1 ms';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  if (ms < 120_000) return `${Math.round(ms / 1000)} s`;
  if (ms < 7_200_000) return `${Math.round(ms / 60_000)} min`;
  return `${(ms / 3_600_000).toFixed(1)} h`;
}
