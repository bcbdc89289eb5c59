/**
 * Run-list slice: the runs of this page session kept for comparison (each live run when a new one
 * replaces it, imported run files, a loaded reproduction report's runs), which of them are drawn
 * over the loss chart, and how that chart shows them (x axis, smoothing, loss axis scale).
 * Entries hold decimated curves only, never tensors or full metrics buffers; the list is bounded
 * (`run-list.ts`: MAX_RUNS entries of at most MAX_CURVE_POINTS points per curve).
 */
import type { ExperimentConfig } from '../core/config';
import type { MetricInfo } from '../core/families/types';
import { LOSS_SMOOTHING } from './metrics';

/** One curve of a kept run, in step order: after `step[i]` steps, `flops[i]` charged so far. */
export interface RunCurve {
  step: number[];
  flops: number[];
  value: number[];
}

/** Where a kept run came from. */
export type RunSource = 'session' | 'file' | 'report';

export interface RunEntry {
  /** `run-<seq>`, unique on the page. */
  id: string;
  /** Order of arrival (also picks the overlay colour). */
  seq: number;
  source: RunSource;
  /** Preset (`*`: changed) · policy · seed. */
  name: string;
  /** The file or report it was read from; null for the page's own runs. */
  origin: string | null;
  /** The preset it is named after (the nearest of its model, `presetOf`); null when none. */
  preset: string | null;
  /** The fields besides policy, seed, α and β in which it differs from that preset. */
  presetChanged: string[];
  config: ExperimentConfig;
  metric: MetricInfo;
  /** Completed training steps. */
  steps: number;
  /** The last finite validation metric and its step; null when never validated. */
  finalMetric: number | null;
  finalStep: number | null;
  /** Charged FLOPs (mNTK included) and vanilla's for the same steps; null when unknown. */
  totalFlops: number | null;
  vanillaFlops: number | null;
  /** Training loss per step (decimated); null when not recorded (report runs). */
  loss: RunCurve | null;
  /** Validation metric at its steps (decimated). */
  validation: RunCurve;
  /** When it was kept (ms since 1970). */
  keptAt: number;
}

/** What the loss chart's x axis counts. */
export type ChartX = 'step' | 'flops';

export interface RunsState {
  runs: RunEntry[];
  /** Sequence number of the next kept run. */
  runSeq: number;
  /** Ids of the runs drawn over the loss chart (`live`: the live run behind an imported one). */
  overlaid: string[];
  chartX: ChartX;
  /** TensorBoard smoothing weight of the loss lines, in [0, 0.999]. */
  smoothing: number;
  /** Loss axis on a log scale. */
  logLoss: boolean;
}

export function initialRunsState(): RunsState {
  return {
    runs: [],
    runSeq: 1,
    overlaid: [],
    chartX: 'step',
    smoothing: LOSS_SMOOTHING,
    logLoss: false,
  };
}
