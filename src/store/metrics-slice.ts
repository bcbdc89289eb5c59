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

/**
 * The trainer's median ms per step as each metrics push reported it: `step[i]` is the last step
 * of the push, `ms[i]` the median wall-clock ms per step over its last timed chunks then (null
 * before any chunk was timed). Per-step times are not sent; the CSV export gives each step the
 * value of the push that delivered it. One entry per push (at most 5 a second).
 */
export interface StepTiming {
  step: number[];
  ms: (number | null)[];
}

export interface MetricsState {
  metrics: MetricsBuffer;
  validation: ValidationSeries;
  stepTiming: StepTiming;
}

export function initialMetricsState(): MetricsState {
  return {
    metrics: emptyMetrics(),
    validation: { step: [], perplexity: [] },
    stepTiming: { step: [], ms: [] },
  };
}

export function reduceMetrics(s: MetricsState, msg: FromWorker): Partial<MetricsState> | null {
  switch (msg.type) {
    case 'ready':
      return initialMetricsState();
    case 'metrics': {
      const metrics = appendMetrics(s.metrics, msg.batch);
      const last = msg.batch.steps[msg.batch.steps.length - 1];
      if (last === undefined) return { metrics };
      const t = s.stepTiming;
      return {
        metrics,
        stepTiming: { step: [...t.step, last], ms: [...t.ms, msg.medianStepMs] },
      };
    }
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
