/** Chart rows for the loss chart: decimated training loss merged with the validation metric. */
import type { MetricsBuffer } from '../store/metrics';
import { downsampleLoss, MAX_CHART_POINTS, strideIndices } from '../store/metrics';
import type { ValidationSeries } from '../store/metrics-slice';
import type { RunCurve } from '../store/runs-slice';
import { smoothTensorBoard } from './smoothing';

export interface LossRow {
  step: number;
  /** Cumulative charged FLOPs after `step` (0 at step 0; absent when not known). */
  flops?: number;
  /** Raw training loss (absent on validation-only rows). */
  raw?: number;
  /** Smoothed training loss. */
  ema?: number;
  /** Validation metric: perplexity or accuracy (present on validation steps only). */
  val?: number;
}

/**
 * ≤ 2 × {@link MAX_CHART_POINTS} rows sorted by step: loss points from min–max decimation, and
 * validation points (strided, newest kept) on the same step when they coincide. Non-finite
 * values are left out so lines break instead of plunging. `smoothed` (one value per buffer
 * entry) replaces the buffer's own EMA when given (the chart's smoothing slider).
 */
export function lossRows(
  metrics: MetricsBuffer,
  validation: ValidationSeries,
  maxPoints = MAX_CHART_POINTS,
  smoothed?: ArrayLike<number>,
): LossRow[] {
  const byStep = new Map<number, LossRow>();
  const flopsAt = new Map<number, number>();
  for (const p of downsampleLoss(metrics, maxPoints)) {
    const row: LossRow = { step: p.step };
    const flops = metrics.flops[p.index];
    if (flops !== undefined && Number.isFinite(flops)) row.flops = flops;
    if (Number.isFinite(p.raw)) row.raw = p.raw;
    const ema = smoothed ? (smoothed[p.index] ?? NaN) : p.ema;
    if (Number.isFinite(ema)) row.ema = ema;
    byStep.set(p.step, row);
  }
  const strided = strideIndices(validation.step.length, maxPoints);
  if (strided.length > 0) {
    // Validation steps off the decimated loss rows need their FLOPs from the buffer.
    for (let i = 0; i < metrics.length; i++)
      flopsAt.set(metrics.steps[i] ?? -1, metrics.flops[i] ?? NaN);
  }
  for (const i of strided) {
    const step = validation.step[i];
    const ppl = validation.perplexity[i];
    if (step === undefined || ppl === undefined || !Number.isFinite(ppl)) continue;
    const row = byStep.get(step) ?? { step };
    row.val = ppl;
    const flops = step === 0 ? 0 : flopsAt.get(step);
    if (row.flops === undefined && flops !== undefined && Number.isFinite(flops)) row.flops = flops;
    byStep.set(step, row);
  }
  return [...byStep.values()].sort((a, b) => a.step - b.step);
}

/** A point of an overlaid curve: its step, FLOPs and value (under the series' own key). */
export type OverlayPoint = { step: number; flops: number } & Record<string, number>;

/**
 * An overlaid run's curve as chart points under `key`: smoothed with TensorBoard's formula at
 * `weight` (0: raw), at most `maxPoints` of them (every k-th, the last kept), non-finite values
 * (and, for a log axis, values ≤ 0; for a FLOP axis, points of unknown FLOPs) left out.
 */
export function overlayPoints(
  curve: RunCurve,
  key: string,
  weight: number,
  opts: { positiveOnly?: boolean; needFlops?: boolean; maxPoints?: number } = {},
): OverlayPoint[] {
  const values = weight > 0 ? smoothTensorBoard(curve.value, weight) : curve.value;
  const out: OverlayPoint[] = [];
  for (const i of strideIndices(curve.step.length, opts.maxPoints ?? MAX_CHART_POINTS)) {
    const v = values[i] ?? NaN;
    const step = curve.step[i];
    const flops = curve.flops[i];
    if (step === undefined || flops === undefined || !Number.isFinite(v)) continue;
    if (opts.positiveOnly && !(v > 0)) continue;
    if (opts.needFlops && !Number.isFinite(flops)) continue;
    out.push({ step, flops, [key]: v } as OverlayPoint);
  }
  return out;
}
