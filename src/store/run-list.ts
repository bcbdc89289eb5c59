/**
 * The run list (issue 11): every run of this page session kept for comparison, as pure functions
 * (what an entry holds, the bound, the config diff) and the actions that change the list. The
 * list keeps at most {@link MAX_RUNS} runs, each curve decimated to at most
 * {@link MAX_CURVE_POINTS} points (every k-th step, the last kept): at most 24 × 2 curves × 2,000
 * points × 3 numbers, ≈ 2.3 MB, whatever the runs' lengths. A new run past the bound drops the
 * oldest run not drawn over the chart (the oldest of all when every run is drawn).
 */
import type { ExperimentConfig } from '../core/config';
import { FAMILIES } from '../core/families/descriptors';
import { getPolicy } from '../core/policies/registry';
import { experimentDifferences, PRESETS, presetConfig, presetDifferences } from '../core/presets';
import type { Report } from '../report/schema';
import { strideIndices } from './metrics';
import type { ChartX, RunCurve, RunEntry, RunSource } from './runs-slice';
import type { RunData } from './store';
import { useLabStore } from './store';

/** Most runs kept. */
export const MAX_RUNS = 24;
/** Most points kept per curve of a run. */
export const MAX_CURVE_POINTS = 2000;
/** The row key of the live run while an imported run is on screen (it sits in the stash). */
export const LIVE_KEY = 'live';

/** Fields a preset may differ in and still name the run: the list shows them beside it. */
const NAME_FREE: ReadonlySet<keyof ExperimentConfig> = new Set(['policy', 'seed', 'alpha', 'beta']);

/**
 * The preset a run is named after: the one of its model whose experiment differs from it in the
 * fewest fields (policy, seed, α and β aside: the name shows them, or they are live), `hint`
 * first among equals (a report's preset); null when its model has no preset. `changed`: the
 * fields in which the run differs from it (the name then carries a `*`).
 */
export function presetOf(
  config: ExperimentConfig,
  hint: string | null = null,
): { id: string; changed: (keyof ExperimentConfig)[] } | null {
  const ids = [...(hint ? [hint] : []), ...PRESETS.map((p) => p.id)];
  let best: { id: string; changed: (keyof ExperimentConfig)[] } | null = null;
  for (const id of ids) {
    if (presetConfig(id)?.model !== config.model) continue;
    const changed = (presetDifferences(config, id) ?? []).filter((f) => !NAME_FREE.has(f));
    if (!best || changed.length < best.changed.length) best = { id, changed };
  }
  return best;
}

/**
 * What the list calls a run: its preset (with `*` when it differs from it in more than policy,
 * seed, α and β; `custom <model>` without one) · policy · seed.
 */
export function runName(
  config: ExperimentConfig,
  preset: { id: string; changed: readonly string[] } | null,
): string {
  const what = preset
    ? `${preset.id}${preset.changed.length > 0 ? '*' : ''}`
    : `custom ${FAMILIES[config.model].label}`;
  return `${what} · ${getPolicy(config.policy).shortLabel} · seed ${config.seed}`;
}

/** One field in which a run differs from the current one. */
export interface FieldDiff {
  field: keyof ExperimentConfig;
  /** The run's value and the current run's, as the link writes them. */
  value: string;
  current: string;
}

/** The fields in which `config` differs from the current run's (`presetDifferences`' rules). */
export function runDiff(config: ExperimentConfig, current: ExperimentConfig): FieldDiff[] {
  return experimentDifferences(config, current).map((field) => ({
    field,
    value: String(config[field]),
    current: String(current[field]),
  }));
}

/** `curve` with at most `max` points: every k-th, the last always kept. */
export function decimateCurve(curve: RunCurve, max = MAX_CURVE_POINTS): RunCurve {
  if (curve.step.length <= max) return curve;
  const at = strideIndices(curve.step.length, max);
  const pick = (a: number[]) => at.map((i) => a[i] ?? NaN);
  return { step: pick(curve.step), flops: pick(curve.flops), value: pick(curve.value) };
}

/** Cumulative charged FLOPs after each step of a run's metrics (step 0: none spent). */
function flopsAt(d: Pick<RunData, 'metrics'>): (step: number) => number {
  const at = new Map<number, number>();
  for (let i = 0; i < d.metrics.length; i++)
    at.set(d.metrics.steps[i] ?? -1, d.metrics.flops[i] ?? NaN);
  return (step) => (step === 0 ? 0 : (at.get(step) ?? NaN));
}

/** A run's loss and validation curves in full (the live run's, and a run's before it is kept). */
export function runCurves(d: Pick<RunData, 'metrics' | 'validation'>): {
  loss: RunCurve;
  validation: RunCurve;
} {
  const m = d.metrics;
  const loss: RunCurve = {
    step: Array.from(m.steps.subarray(0, m.length)),
    flops: Array.from(m.flops.subarray(0, m.length)),
    value: Array.from(m.loss.subarray(0, m.length)),
  };
  const flops = flopsAt(d);
  const validation: RunCurve = {
    step: d.validation.step.slice(),
    flops: d.validation.step.map(flops),
    value: d.validation.perplexity.slice(),
  };
  return { loss, validation };
}

/** The last finite value of a curve and its step; nulls when there is none. */
function lastFinite(c: Pick<RunCurve, 'step' | 'value'>): {
  value: number | null;
  step: number | null;
} {
  for (let i = c.value.length - 1; i >= 0; i--) {
    const v = c.value[i];
    if (v !== undefined && Number.isFinite(v)) return { value: v, step: c.step[i] ?? null };
  }
  return { value: null, step: null };
}

const finiteOrNull = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? x : null);

/** What the list shows of a run, read from its data without copying its curves. */
export type RunSummary = Pick<
  RunEntry,
  | 'name'
  | 'preset'
  | 'presetChanged'
  | 'config'
  | 'metric'
  | 'steps'
  | 'finalMetric'
  | 'finalStep'
  | 'totalFlops'
  | 'vanillaFlops'
>;

export function runSummary(
  d: Pick<RunData, 'metrics' | 'validation' | 'runConfig' | 'metric' | 'step'>,
): RunSummary {
  const last = d.metrics.length - 1;
  const final = lastFinite({ step: d.validation.step, value: d.validation.perplexity });
  const preset = presetOf(d.runConfig);
  return {
    name: runName(d.runConfig, preset),
    preset: preset?.id ?? null,
    presetChanged: preset?.changed ?? [],
    config: d.runConfig,
    metric: { ...d.metric },
    steps: Math.max(d.step, d.metrics.steps[last] ?? 0),
    finalMetric: final.value,
    finalStep: final.step,
    totalFlops: last >= 0 ? finiteOrNull(d.metrics.flops[last]) : null,
    vanillaFlops: last >= 0 ? finiteOrNull(d.metrics.vanillaFlops[last]) : null,
  };
}

/**
 * A run's data as a list entry (decimated curves), or null when it trained no step and was
 * never validated (a run replaced before it started is not kept).
 */
export function entryFromRunData(
  d: RunData,
  source: Exclude<RunSource, 'report'>,
  seq: number,
  origin: string | null = null,
  now = Date.now(),
): RunEntry | null {
  if (d.metrics.length === 0 && d.validation.step.length === 0) return null;
  const { loss, validation } = runCurves(d);
  return {
    ...runSummary(d),
    id: `run-${seq}`,
    seq,
    source,
    origin,
    loss: decimateCurve(loss),
    validation: decimateCurve(validation),
    keptAt: now,
  };
}

/** A reproduction report's runs as list entries (validation curves only), from `seq` on. */
export function entriesFromReport(
  report: Report,
  origin: string,
  seq: number,
  now = Date.now(),
): RunEntry[] {
  return report.runs.map((run, i): RunEntry => {
    const validation = decimateCurve({
      step: run.validation.step.slice(),
      flops: run.validation.flops.slice(),
      value: run.validation.metric.slice(),
    });
    const final = lastFinite(validation);
    const preset = presetOf(run.config, report.preset.id);
    return {
      id: `run-${seq + i}`,
      seq: seq + i,
      source: 'report',
      name: runName(run.config, preset),
      origin,
      preset: preset?.id ?? null,
      presetChanged: preset?.changed ?? [],
      config: run.config,
      metric: { ...report.metric },
      steps: run.steps,
      finalMetric: Number.isFinite(run.finalMetric) ? run.finalMetric : final.value,
      finalStep: final.step,
      totalFlops: run.totalFlops,
      vanillaFlops: run.vanillaTotalFlops,
      loss: null,
      validation,
      keptAt: now,
    };
  });
}

/**
 * `runs` with `added` appended, bounded to `max`: past it the oldest earlier runs not in
 * `overlaid` go first, then the oldest drawn ones (the added runs last of all). Returns the list
 * and the overlaid ids still in it.
 */
export function withRuns(
  runs: readonly RunEntry[],
  added: readonly RunEntry[],
  overlaid: readonly string[],
  max = MAX_RUNS,
): { runs: RunEntry[]; overlaid: string[] } {
  const all = [...runs, ...added];
  let excess = all.length - max;
  const dropped = new Set<string>();
  const drawn = new Set(overlaid);
  // The runs just added go last: first the oldest earlier runs not drawn, then drawn ones.
  const passes = [runs.filter((r) => !drawn.has(r.id)), runs, added];
  for (const pass of passes) {
    for (const r of pass) {
      if (excess <= 0) break;
      if (dropped.has(r.id)) continue;
      dropped.add(r.id);
      excess--;
    }
  }
  const out = all.filter((r) => !dropped.has(r.id));
  return {
    runs: out,
    overlaid: overlaid.filter((id) => id === LIVE_KEY || !dropped.has(id)),
  };
}

/* ---- actions ---- */

const get = useLabStore.getState;
const set = useLabStore.setState;

function keep(entries: RunEntry[]): void {
  if (entries.length === 0) return;
  set((s) => ({
    ...withRuns(s.runs, entries, s.overlaid),
    runSeq: Math.max(s.runSeq, ...entries.map((e) => e.seq + 1)),
  }));
}

/**
 * Keeps a run in the list: the live run `d` as a new one replaces it (`session`), or an imported
 * run file (`file`, read from `origin`). A run with no step is not kept; a file already kept
 * (same name and steps) is not kept twice.
 */
export function keepRun(
  d: RunData,
  source: 'session' | 'file',
  origin: string | null = null,
): void {
  const s = get();
  const entry = entryFromRunData(d, source, s.runSeq, origin);
  if (!entry) return;
  const same = (r: RunEntry) =>
    r.source === 'file' && r.origin === origin && r.steps === entry.steps;
  if (source === 'file' && s.runs.some(same)) return;
  keep([entry]);
}

/** Keeps a loaded reproduction report's runs (once per report file name and creation time). */
export function keepReportRuns(report: Report, origin: string): void {
  const s = get();
  const tag = `${origin} (${report.createdAt})`;
  if (s.runs.some((r) => r.source === 'report' && r.origin === tag)) return;
  keep(entriesFromReport(report, tag, s.runSeq));
}

/** Draws run `id` over the loss chart, or stops drawing it. */
export function setOverlaid(id: string, on: boolean): void {
  set((s) => {
    const has = s.overlaid.includes(id);
    if (has === on) return {};
    return { overlaid: on ? [...s.overlaid, id] : s.overlaid.filter((o) => o !== id) };
  });
}

/** Forgets run `id` (and stops drawing it). */
export function removeRun(id: string): void {
  set((s) => ({
    runs: s.runs.filter((r) => r.id !== id),
    overlaid: s.overlaid.filter((o) => o !== id),
  }));
}

export function setChartX(x: ChartX): void {
  if (get().chartX !== x) set({ chartX: x });
}

export function setSmoothing(weight: number): void {
  const w = Math.min(0.999, Math.max(0, weight));
  if (Number.isFinite(w) && get().smoothing !== w) set({ smoothing: w });
}

export function setLogLoss(on: boolean): void {
  if (get().logLoss !== on) set({ logLoss: on });
}
