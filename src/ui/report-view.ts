/**
 * What the report panel draws: a loaded reproduction report's curves per policy, and the lab's
 * own run on the same axes when it trains the report's preset. Pure functions of the report and
 * the store's buffers.
 */
import type { ExperimentConfig, PolicyName } from '../core/config';
import { FAMILY_FIELDS } from '../core/families/family';
import { getPolicy } from '../core/policies/registry';
import { policyCurves } from '../report/analyse';
import type { Curve, Report } from '../report/schema';
import type { MetricsBuffer } from '../store/metrics';
import type { ValidationSeries } from '../store/metrics-slice';

/**
 * Fields that decide what a validation number means (model, data, batch, learning rate, and every
 * family's sizes, data options and validation set). Policy parameters (α, β, K, W0) may differ:
 * then the curves compare policies.
 */
export const COMPARABLE_FIELDS = [
  'model',
  'data',
  'batch',
  'lr',
  ...FAMILY_FIELDS,
] as const satisfies readonly (keyof ExperimentConfig)[];

/** The fields in which the lab's run differs from the report's preset (empty: comparable). */
export function configDifferences(
  report: Pick<Report, 'baseConfig'>,
  config: ExperimentConfig,
): string[] {
  return COMPARABLE_FIELDS.filter((f) => report.baseConfig[f] !== config[f]);
}

/**
 * The lab run's validation points against its cumulative charged FLOPs (the metrics buffer
 * holds cumulative FLOPs per completed step; step 0 has spent nothing). Points whose step has
 * no metrics entry yet are left out.
 */
export function labCurve(metrics: MetricsBuffer, validation: ValidationSeries): Curve {
  const at = new Map<number, number>();
  for (let i = 0; i < metrics.length; i++) at.set(metrics.steps[i] ?? -1, metrics.flops[i] ?? NaN);
  const out: Curve = { step: [], flops: [], metric: [] };
  validation.step.forEach((step, i) => {
    const flops = step === 0 ? 0 : at.get(step);
    const v = validation.perplexity[i];
    if (flops === undefined || !Number.isFinite(flops) || v === undefined || !Number.isFinite(v))
      return;
    out.step.push(step);
    out.flops.push(flops);
    out.metric.push(v);
  });
  return out;
}

export interface ChartSeries {
  key: string;
  label: string;
  policy: PolicyName | 'lab';
  points: { flops: number; metric: number }[];
}

const points = (c: Curve) => c.flops.map((flops, i) => ({ flops, metric: c.metric[i] ?? NaN }));

/** One series per policy (smoothed, averaged over seeds), and the lab's run when given. */
export function reportSeries(
  report: Report,
  lab: { curve: Curve; policy: PolicyName } | null,
): ChartSeries[] {
  const label = (p: PolicyName) => getPolicy(p).shortLabel;
  const series: ChartSeries[] = policyCurves(report).map((c) => ({
    key: c.policy,
    label: label(c.policy),
    policy: c.policy,
    points: points(c.smoothedMean),
  }));
  if (lab && lab.curve.step.length > 0) {
    series.push({
      key: 'lab',
      label: `this lab run (${label(lab.policy)}, raw)`,
      policy: 'lab',
      points: points(lab.curve),
    });
  }
  return series;
}

/** The y domain: all finite values, padded; positive for the log scale of perplexity. */
export function metricDomain(
  series: readonly ChartSeries[],
  accuracy: boolean,
  target: number,
): [number, number] {
  const vals = series
    .flatMap((s) => s.points.map((p) => p.metric))
    .filter((v) => Number.isFinite(v) && (accuracy || v > 0));
  if (Number.isFinite(target)) vals.push(target);
  if (vals.length === 0) return accuracy ? [0, 1] : [1, 10];
  const lo = Math.min(...vals);
  const hi = Math.max(...vals);
  // Accuracy: whole multiples of 5 % so the ticks are round numbers.
  return accuracy
    ? [
        Math.max(0, Math.floor((lo - 0.01) * 20) / 20),
        Math.min(1, Math.ceil((hi + 0.01) * 20) / 20),
      ]
    : [lo * 0.95, hi * 1.05];
}
