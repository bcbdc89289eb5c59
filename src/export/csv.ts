/**
 * The lab's CSV exports (issue 11): a run's metrics (one row per step), its λmax history and
 * decisions (one row per evaluation × module) and the run list (one row per run). Written with
 * papaparse's `unparse`, which quotes a field when it holds the delimiter, a quote or a line
 * break (doubling quotes inside), and — `escapeFormulae` — prefixes text that a spreadsheet would
 * run as a formula (`=`, `+`, `-`, `@` first) with `'`; numbers are written as JavaScript prints
 * them (the shortest text that reads back to the same double), so a parse gives the stored
 * numbers exactly. Unknown values are empty fields; a non-finite loss is written `NaN`.
 * Pure: no DOM, the same text in Node and the page.
 */
import Papa from 'papaparse';
import type { ExperimentConfig } from '../core/config';
import type { MetricInfo } from '../core/families/types';
import type { ModuleInfo } from '../core/types';
import type { EvalColumn } from '../store/evaluations-slice';
import type { MetricsBuffer } from '../store/metrics';
import type { StepTiming, ValidationSeries } from '../store/metrics-slice';
import type { FieldDiff } from '../store/run-list';

type Cell = string | number | null;

/** CSV text of a header and rows: `\n` line ends, quoting and formula escaping by papaparse. */
export function toCsv(fields: readonly string[], rows: readonly (readonly Cell[])[]): string {
  return Papa.unparse(
    { fields: [...fields], data: rows.map((r) => [...r]) },
    { newline: '\n', escapeFormulae: true },
  );
}

/** A number for a cell: finite as it is, non-finite as `NaN` / `Infinity` / `-Infinity`. */
const num = (x: number | null | undefined): Cell => (x === null || x === undefined ? null : x);

export const METRICS_FIELDS = [
  'step',
  'loss',
  'charged_flops',
  'vanilla_flops',
  'median_step_ms',
] as const;

/**
 * One row per step: the training loss after it, the cumulative charged FLOPs (mNTK included)
 * and vanilla's for the same steps, the trainer's median ms per step as reported with the push
 * that delivered the step (empty before a step was timed, and for run files), and the
 * validation metric (`validation_perplexity` or `validation_accuracy`) on the steps it was
 * measured. A validation before any step (step 0) gets a row of its own.
 */
export function metricsCsv(d: {
  metrics: MetricsBuffer;
  validation: ValidationSeries;
  stepTiming: StepTiming;
  metric: Pick<MetricInfo, 'name'>;
}): string {
  const { metrics: m, validation, stepTiming } = d;
  const val = new Map<number, number>();
  validation.step.forEach((s, i) => val.set(s, validation.perplexity[i] ?? NaN));
  const rows: Cell[][] = [];
  const validationOnly = (step: number) => {
    rows.push([step, null, null, null, null, num(val.get(step))]);
    val.delete(step);
  };
  const pending = [...val.keys()].sort((a, b) => a - b);
  let p = 0;
  let t = 0;
  for (let i = 0; i < m.length; i++) {
    const step = m.steps[i] ?? 0;
    while (p < pending.length && (pending[p] ?? 0) < step) {
      const at = pending[p++] ?? 0;
      if (val.has(at)) validationOnly(at);
    }
    // The push that delivered this step: the first whose last step is at or after it.
    while (t < stepTiming.step.length && (stepTiming.step[t] ?? 0) < step) t++;
    const ms = stepTiming.step[t] !== undefined ? (stepTiming.ms[t] ?? null) : null;
    rows.push([
      step,
      num(m.loss[i]),
      num(m.flops[i]),
      num(m.vanillaFlops[i]),
      ms,
      val.has(step) ? num(val.get(step)) : null,
    ]);
    val.delete(step);
  }
  while (p < pending.length) {
    const step = pending[p++] ?? 0;
    if (val.has(step)) validationOnly(step);
  }
  return toCsv([...METRICS_FIELDS, `validation_${d.metric.name}`], rows);
}

export const LAMBDA_FIELDS = [
  'step',
  'module',
  'kind',
  'lambda_max',
  'std_err',
  'effective_rank',
  'updating',
  'reason',
  'decisions_changed_at',
] as const;

/**
 * One row per evaluation × module, in evaluation then module order: λmax, its standard error
 * over the random projections (empty when the kernel is exact), the effective rank, whether
 * the module is updated until the next evaluation (1 / 0) and the reason code
 * (`core/policies/reasons.ts`), and the step at which a slider move or override changed those
 * decisions after the evaluation (empty when they are the evaluation's own).
 */
export function lambdaCsv(d: {
  modules: readonly ModuleInfo[];
  evaluations: readonly EvalColumn[];
}): string {
  const rows: Cell[][] = [];
  for (const e of d.evaluations) {
    d.modules.forEach((mod, i) => {
      rows.push([
        e.step,
        mod.id,
        mod.kind,
        num(e.lambdaMax[i]),
        e.stdErr ? num(e.stdErr[i]) : null,
        num(e.effRank[i]),
        e.updating[i] === undefined ? null : e.updating[i] ? 1 : 0,
        e.reasons[i] ?? null,
        e.amendedAt,
      ]);
    });
  }
  return toCsv(LAMBDA_FIELDS, rows);
}

export const RUN_LIST_FIELDS = [
  'name',
  'shown',
  'source',
  'origin',
  'preset',
  'preset_changed',
  'model',
  'policy',
  'seed',
  'steps',
  'metric',
  'final_metric',
  'final_step',
  'total_flops',
  'vanilla_flops',
  'differs_from_current',
  'config',
] as const;

/** A run as the list export writes it. */
export interface RunListRow {
  name: string;
  /** `current` (on screen), `live` (the live run behind an imported one) or `kept`. */
  shown: 'current' | 'live' | 'kept';
  source: string;
  origin: string | null;
  preset: string | null;
  presetChanged: readonly string[];
  config: ExperimentConfig;
  metric: Pick<MetricInfo, 'name'>;
  steps: number;
  finalMetric: number | null;
  finalStep: number | null;
  totalFlops: number | null;
  vanillaFlops: number | null;
  diff: readonly FieldDiff[];
}

/**
 * One row per run: what the list shows (name, final metric, total FLOPs, the fields in which it
 * differs from the current run as `field=value` joined by `; `) and its whole config as JSON.
 */
export function runListCsv(rows: readonly RunListRow[]): string {
  return toCsv(
    RUN_LIST_FIELDS,
    rows.map((r) => [
      r.name,
      r.shown,
      r.source,
      r.origin,
      r.preset,
      r.presetChanged.join('; '),
      r.config.model,
      r.config.policy,
      r.config.seed,
      r.steps,
      r.metric.name,
      num(r.finalMetric),
      r.finalStep,
      num(r.totalFlops),
      num(r.vanillaFlops),
      r.diff.map((f) => `${f.field}=${f.value}`).join('; '),
      JSON.stringify(r.config),
    ]),
  );
}
