/**
 * The threshold-sensitivity table of `npm run reproduce -- --sweep`: MAT over a fixed α × β
 * grid, one seed, against vanilla's V* of the same seed. The grid is fixed here, before any run
 * (issue: "report sensitivity as its own table", never tune thresholds to a result).
 */
import type { ExperimentConfig } from '../core/config';
import { formatFlops, formatPercent } from './format';
import { formatMetric, line } from './markdown';
import type { Report, RunRecord } from './schema';

/** The α and β values of the sweep. */
export const SWEEP_ALPHAS = [0.5, 0.9, 1.3] as const;
export const SWEEP_BETAS = [0.01, 0.02, 0.05] as const;

/** The grid's configs: `base` with each α × β (α slowest), everything else unchanged. */
export function sweepConfigs(base: ExperimentConfig): ExperimentConfig[] {
  return SWEEP_ALPHAS.flatMap((alpha) => SWEEP_BETAS.map((beta) => ({ ...base, alpha, beta })));
}

/** One preset's sweep: vanilla (V*) and MAT at every grid point, all with the same seed. */
export interface Sweep {
  preset: string;
  metric: Report['metric'];
  vanilla: RunRecord;
  mat: RunRecord[];
}

/** A cell: FLOPs to V* (share of vanilla's total) and the final smoothed metric. */
function cell(r: RunRecord, vanilla: RunRecord, metric: Sweep['metric']): string {
  const reach =
    r.flopsToTarget === null
      ? 'V* not reached'
      : `${formatFlops(r.flopsToTarget)} (${formatPercent(r.flopsToTarget / vanilla.totalFlops)})`;
  return `${reach}; ${formatMetric(r.finalSmoothed, metric.name)}; total ${formatPercent(r.totalFlops / vanilla.totalFlops)}`;
}

/** The Markdown section of one preset: rows α, columns β. */
export function sweepMarkdown(s: Sweep): string {
  const at = (alpha: number, beta: number) =>
    s.mat.find((r) => r.config.alpha === alpha && r.config.beta === beta);
  const lines = [
    `### ${s.preset}`,
    '',
    `Seed ${s.vanilla.seed}, ${s.vanilla.steps} steps. Vanilla: final ${s.metric.name} ` +
      `${formatMetric(s.vanilla.finalSmoothed, s.metric.name)} (= V*), ` +
      `${formatFlops(s.vanilla.totalFlops)}. Each cell: MAT's FLOPs to V* (share of vanilla's ` +
      `total), its final smoothed ${s.metric.name}, and its total FLOPs as a share of vanilla's.`,
    '',
    line(['α \\ β', ...SWEEP_BETAS.map(String)]),
    line(['---', ...SWEEP_BETAS.map(() => '---')]),
    ...SWEEP_ALPHAS.map((alpha) =>
      line([
        String(alpha),
        ...SWEEP_BETAS.map((beta) => {
          const r = at(alpha, beta);
          return r ? cell(r, s.vanilla, s.metric) : '—';
        }),
      ]),
    ),
    '',
  ];
  return lines.join('\n');
}
