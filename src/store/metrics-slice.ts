/** Metrics slice: per-step loss and FLOPs (typed arrays) and validation perplexity. */
import type { FromWorker } from '../protocol/messages';
import type { MetricsBuffer } from './metrics';
import { appendMetrics, emptyMetrics } from './metrics';

export interface ValidationSeries {
  step: number[];
  /**
   * The task's validation metric on the fixed validation set (the protocol's `perplexity` field):
   * perplexity exp(mean cross-entropy) for language models, accuracy in [0, 1] for classifiers.
   */
  perplexity: number[];
}

export interface MetricsState {
  metrics: MetricsBuffer;
  validation: ValidationSeries;
}

export function initialMetricsState(): MetricsState {
  return { metrics: emptyMetrics(), validation: { step: [], perplexity: [] } };
}

export function reduceMetrics(s: MetricsState, msg: FromWorker): Partial<MetricsState> | null {
  switch (msg.type) {
    case 'ready':
      return initialMetricsState();
    case 'metrics':
      return { metrics: appendMetrics(s.metrics, msg.batch) };
    case 'validation':
      return {
        validation: {
          step: [...s.validation.step, msg.step],
          perplexity: [...s.validation.perplexity, msg.perplexity],
        },
      };
    default:
      return null;
  }
}
