/** Chart rows for the loss chart: decimated training loss merged with the validation metric. */
import type { MetricsBuffer } from '../store/metrics';
import { downsampleLoss, MAX_CHART_POINTS, strideIndices } from '../store/metrics';
import type { ValidationSeries } from '../store/metrics-slice';

export interface LossRow {
  step: number;
  /** Raw training loss (absent on validation-only rows). */
  raw?: number;
  /** EMA-smoothed training loss. */
  ema?: number;
  /** Validation metric: perplexity or accuracy (present on validation steps only). */
  val?: number;
}

/**
 * ≤ 2 × {@link MAX_CHART_POINTS} rows sorted by step: loss points from min–max decimation, and
 * validation points (strided, newest kept) on the same step when they coincide. Non-finite
 * values are left out so lines break instead of plunging.
 */
export function lossRows(
  metrics: MetricsBuffer,
  validation: ValidationSeries,
  maxPoints = MAX_CHART_POINTS,
): LossRow[] {
  const byStep = new Map<number, LossRow>();
  for (const p of downsampleLoss(metrics, maxPoints)) {
    const row: LossRow = { step: p.step };
    if (Number.isFinite(p.raw)) row.raw = p.raw;
    if (Number.isFinite(p.ema)) row.ema = p.ema;
    byStep.set(p.step, row);
  }
  for (const i of strideIndices(validation.step.length, maxPoints)) {
    const step = validation.step[i];
    const ppl = validation.perplexity[i];
    if (step === undefined || ppl === undefined || !Number.isFinite(ppl)) continue;
    const row = byStep.get(step) ?? { step };
    row.val = ppl;
    byStep.set(step, row);
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}
