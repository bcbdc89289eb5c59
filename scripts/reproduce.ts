/**
 * `npm run reproduce`: the claim of docs/method.md ("The claim to reproduce") at small scale,
 * headless. Every preset is trained under vanilla, MAT, random matched-budget and progressive
 * freezing over 3 seeds with the same `src/core` the lab runs, and each preset gets
 * reports/<date>-<preset>/ with report.json (every number), table.md, metric-vs-flops.svg and
 * lambda-heatmap.svg; a reports/<date>-summary.md combines the tables.
 *
 *   npm run reproduce -- [--quick] [--sweep] [--presets a,b] [--policies vanilla,mat,…] [--seeds N|a,b]
 *                        [--backend wasm|cpu|webgpu] [--gles] [--steps N] [--out reports]
 *
 * Exits 0 when every run finished, whether or not the claim reproduced; 1 on an error, 2 on bad
 * arguments.
 */
import * as tf from '@tensorflow/tfjs';
import cliProgress from 'cli-progress';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, platform } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ExperimentConfig, PolicyName } from '../src/core/config';
import type { TaskData } from '../src/core/families/types';
import { POLICIES } from '../src/core/config';
import { PRESET_IDS, findPreset, presetConfig } from '../src/core/presets';
import { NODE_BACKENDS, isNodeBackend, setupNodeBackend } from '../src/node/backend';
import type { NodeBackend } from '../src/node/backend';
import { loadTaskDataFromDisk } from '../src/node/deps';
import { analyseRuns, SMOOTHING_WINDOW } from '../src/report/analyse';
import { mergeReports } from '../src/report/merge';
import {
  formatDuration,
  formatMetric,
  markdownSection,
  POLICY_LABELS,
  summaryMarkdown,
} from '../src/report/markdown';
import type { Budget } from '../src/report/plan';
import {
  budgetFor,
  FULL_SEEDS,
  parsePolicies,
  QUICK_SEEDS,
  REPRODUCE_PRESETS,
  reproduceConfig,
} from '../src/report/plan';
import type { RawRun, RunProgress } from '../src/report/run';
import { presetFacts, runOnce, withTarget } from '../src/report/run';
import type { Report } from '../src/report/schema';
import { REPORT_FORMAT, REPORT_FORMAT_VERSION, validateReport } from '../src/report/schema';
import type { Sweep } from '../src/report/sensitivity';
import { SWEEP_ALPHAS, SWEEP_BETAS, sweepConfigs, sweepMarkdown } from '../src/report/sensitivity';
import { lambdaHeatmapSvg, metricVsFlopsSvg } from '../src/report/svg';
import { formatFlops, formatPercent } from '../src/report/format';

/** The presets of the sensitivity table (the issue asks for these two). */
const SWEEP_PRESETS = ['bert-austen', 'vgg-fashion'];

const USAGE = `usage: npm run reproduce -- [options]
  --quick              tiny budgets (12 steps), 1 seed: checks that everything runs, not the claim
  --sweep              threshold sensitivity instead: vanilla and MAT at α ∈ {${SWEEP_ALPHAS.join(', ')}} ×
                       β ∈ {${SWEEP_BETAS.join(', ')}}, first seed only (default presets: ${SWEEP_PRESETS.join(',')})
  --presets a,b        presets to run (default: ${REPRODUCE_PRESETS.join(',')})
  --policies a,b       policies to run, vanilla included (default: ${POLICIES.join(',')})
  --seeds N | a,b      seeds 1…N, or the seeds listed (default: 3, quick: 1)
  --backend NAME       ${NODE_BACKENDS.join(' | ')} (default: wasm); webgpu runs through Dawn
  --gles               with --backend webgpu: Dawn on OpenGL ES (llvmpipe)
  --steps N            override every preset's step budget
  --render FILES…      rewrite table.md, the plots and the summary from existing report.json files
                       (reports of one preset on different seeds are merged into the first's folder)
  --out DIR            output folder (default: reports; with --quick: reports/tmp, git-ignored)`;

class UsageError extends Error {
  override name = 'UsageError';
}

interface Options {
  /** report.json files to re-render (--render), else empty. */
  render: string[];
  quick: boolean;
  sweep: boolean;
  presets: string[];
  policies: PolicyName[];
  seeds: number[];
  backend: NodeBackend;
  gles: boolean;
  steps: number | null;
  out: string;
}

function positiveInt(name: string, s: string | undefined): number | null {
  if (s === undefined) return null;
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${name} must be a positive integer, got "${s}"`);
  return n;
}

/** `--seeds N` (seeds 1…N) or `--seeds 2,3` (those seeds, e.g. to add seeds to a report). */
function seedsOption(s: string): number[] {
  if (!s.includes(',')) {
    const n = positiveInt('seeds', s)!;
    return Array.from({ length: n }, (_, i) => i + 1);
  }
  const list = s.split(',').map((x) => positiveInt('seeds', x.trim())!);
  if (new Set(list).size !== list.length)
    throw new UsageError(`--seeds lists a seed twice: "${s}"`);
  return list.sort((a, b) => a - b);
}

function parseOptions(argv: string[]): Options {
  let values;
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({
      args: argv,
      options: {
        quick: { type: 'boolean', default: false },
        sweep: { type: 'boolean', default: false },
        presets: { type: 'string' },
        policies: { type: 'string' },
        seeds: { type: 'string' },
        backend: { type: 'string', default: 'wasm' },
        gles: { type: 'boolean', default: false },
        steps: { type: 'string' },
        out: { type: 'string' },
        render: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
      allowPositionals: true,
      strict: true,
    }));
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  if (values.help) {
    console.log(USAGE);
    process.exit(0);
  }
  if (values.render !== positionals.length > 0) {
    throw new UsageError(
      values.render
        ? '--render needs report.json files'
        : `unexpected argument ${positionals[0] ?? ''}`,
    );
  }
  const presets = values.presets
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean) ?? [...(values.sweep ? SWEEP_PRESETS : REPRODUCE_PRESETS)];
  const unknown = presets.filter((p) => !findPreset(p));
  if (unknown.length > 0) {
    throw new UsageError(`unknown preset ${unknown.join(', ')}; known: ${PRESET_IDS.join(', ')}`);
  }
  let policies: PolicyName[];
  try {
    policies = values.policies ? parsePolicies(values.policies) : [...POLICIES];
  } catch (e) {
    throw new UsageError(e instanceof Error ? e.message : String(e));
  }
  if (!isNodeBackend(values.backend)) {
    throw new UsageError(
      `--backend must be one of ${NODE_BACKENDS.join(', ')}, got "${values.backend}"`,
    );
  }
  const seeds =
    values.seeds === undefined
      ? [...(values.quick ? QUICK_SEEDS : FULL_SEEDS)]
      : seedsOption(values.seeds);
  return {
    render: positionals,
    quick: values.quick,
    sweep: values.sweep,
    presets,
    policies,
    seeds,
    backend: values.backend,
    gles: values.gles,
    steps: positiveInt('steps', values.steps),
    // A quick run must not overwrite the day's full reports: it goes to the ignored reports/tmp.
    out: values.out ?? (values.quick ? join('reports', 'tmp') : 'reports'),
  };
}

/** The commit the numbers come from, and whether the work tree had changes (read-only git). */
function gitState(): { gitCommit: string | null; gitDirty: boolean | null } {
  try {
    const commit = execFileSync('git', ['rev-parse', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
    const status = execFileSync('git', ['--no-optional-locks', 'status', '--porcelain'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return { gitCommit: commit, gitDirty: status.trim().length > 0 };
  } catch {
    return { gitCommit: null, gitDirty: null };
  }
}

const isTTY = Boolean(process.stderr.isTTY);

/** A progress bar per run on a terminal; elsewhere (CI logs) only the line each run ends with. */
function startBar(
  label: string,
  steps: number,
): { update: (p: RunProgress) => void; stop: () => void } {
  if (!isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new cliProgress.SingleBar(
    {
      format: `${label} [{bar}] {value}/{total} steps · {metric} · {ms} ms/step · ETA {eta_formatted}`,
      barsize: 24,
      hideCursor: true,
      clearOnComplete: true,
      etaBuffer: 20,
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(steps, 0, { metric: '—', ms: '—' });
  return {
    update: (p) =>
      bar.update(p.step, {
        metric: Number.isFinite(p.metric) ? p.metric.toPrecision(4) : '—',
        ms: p.msPerStep.toFixed(0),
      }),
    stop: () => bar.stop(),
  };
}

interface Context {
  opts: Options;
  backend: string;
  git: ReturnType<typeof gitState>;
  command: string;
  date: string;
  /** Runs done / to do over all presets (for the progress lines). */
  done: number;
  total: number;
}

function budgetNote(budget: Budget, quick: boolean, stepsOverride: number | null): string {
  if (stepsOverride !== null) return `--steps ${stepsOverride} overrode the preset's budget.`;
  if (quick)
    return `Quick: ${budget.steps} steps, W0 = ${budget.warmup ?? 'preset'}; checks the outputs, not the claim.`;
  return `Fixed budget of ${budget.steps} steps so that the full run fits in 45 min on 2 cores with WASM (see src/report/plan.ts).`;
}

/** A preset as its runs share it: the config, the budget (--steps applied), data and facts. */
async function presetSetup(presetId: string, opts: Options) {
  const base = { ...presetConfig(presetId)!, backend: opts.backend };
  const planned = budgetFor(presetId, opts.quick);
  const budget: Budget = opts.steps !== null ? { ...planned, steps: opts.steps } : planned;
  const data = loadTaskDataFromDisk(base);
  const facts = await presetFacts({ ...base, policy: 'vanilla' }, data);
  /** One run's configuration. */
  const configFor = (policy: PolicyName, seed: number) =>
    reproduceConfig(base, { policy, seed, budget, depth: facts.depth, backend: opts.backend });
  return { base, budget, data, facts, configFor };
}

/** One run of `steps` steps, with its progress bar. */
async function runWithBar(
  config: ExperimentConfig,
  data: TaskData,
  steps: number,
  label: string,
): Promise<RawRun> {
  const bar = startBar(label, steps);
  try {
    return await runOnce(config, data, {
      steps,
      smoothing: SMOOTHING_WINDOW,
      onProgress: bar.update,
    });
  } finally {
    bar.stop();
  }
}

async function reproducePreset(presetId: string, ctx: Context): Promise<Report> {
  const { opts } = ctx;
  const preset = findPreset(presetId)!;
  const { base, budget, data, facts, configFor } = await presetSetup(presetId, opts);
  const load0 = loadavg()[0] ?? 0;
  const t0 = performance.now();

  const raw: RawRun[] = [];
  for (const seed of opts.seeds) {
    for (const policy of opts.policies) {
      ctx.done++;
      const label = `[${String(ctx.done).padStart(String(ctx.total).length)}/${ctx.total}] ${presetId} ${policy} seed ${seed}`;
      const run = await runWithBar(configFor(policy, seed), data, budget.steps, label);
      raw.push(run);
      const ratio = run.totalFlops / run.vanillaTotalFlops;
      console.log(
        `${label}: ${facts.metric.name} ${formatMetric(run.finalMetric, facts.metric.name)} ` +
          `(smoothed ${formatMetric(run.finalSmoothed, facts.metric.name)}), ${formatFlops(run.totalFlops)} ` +
          `(${formatPercent(ratio)} of vanilla), ${run.timing.meanStepMs.toFixed(1)} ms/step, ` +
          `${formatDuration(run.timing.wallMs)}` +
          (run.leakedTensors !== 0 ? `  ⚠ ${run.leakedTensors} tensors left after dispose` : ''),
      );
    }
  }

  const targets = new Map(
    raw.filter((r) => r.policy === 'vanilla').map((r) => [r.seed, r.finalSmoothed]),
  );
  const runs = raw.map((r) =>
    withTarget(r, targets.get(r.seed) ?? NaN, SMOOTHING_WINDOW, facts.metric.higherIsBetter),
  );
  const { summary, claim } = analyseRuns(runs, opts.policies, facts.metric, facts.flops, base.K);
  const baseConfig = configFor('mat', opts.seeds[0] ?? 1);
  const report: Report = {
    format: REPORT_FORMAT,
    version: REPORT_FORMAT_VERSION,
    createdAt: new Date().toISOString(),
    command: ctx.command,
    quick: opts.quick,
    preset: { id: preset.id, label: preset.label },
    metric: facts.metric,
    budget: {
      steps: budget.steps,
      valEvery: budget.valEvery,
      seeds: opts.seeds,
      policies: opts.policies,
      smoothing: { kind: 'trailing-mean', window: SMOOTHING_WINDOW },
      note: budgetNote(budget, opts.quick, opts.steps),
    },
    baseConfig,
    modules: facts.modules,
    flops: facts.flops,
    environment: {
      backend: ctx.backend,
      node: process.version,
      platform: `${platform()} ${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadAverage: { start: load0, end: loadavg()[0] ?? 0 },
      tfjs: tf.version.tfjs,
      ...ctx.git,
    },
    wallClockMs: performance.now() - t0,
    runs,
    summary,
    claim,
  };
  // The file must load in the lab: validate what we write.
  return validateReport(report);
}

/** report.json (unless re-rendering), table.md and the two plots in `dir`. */
function writeOutputs(dir: string, report: Report, json: boolean): void {
  mkdirSync(dir, { recursive: true });
  if (json) writeFileSync(join(dir, 'report.json'), JSON.stringify(report));
  writeFileSync(join(dir, 'table.md'), markdownSection(report));
  writeFileSync(join(dir, 'metric-vs-flops.svg'), metricVsFlopsSvg(report));
  writeFileSync(join(dir, 'lambda-heatmap.svg'), lambdaHeatmapSvg(report));
}

/**
 * `--render`: summaries, verdict, tables, plots and the summary page again from the runs in
 * report.json files (after a change to the analysis or the renderers), without training; the
 * runs themselves are kept as they are. The summary goes beside the first report's folder and
 * states the sum of the presets' wall-clock.
 */
function render(paths: readonly string[]): void {
  // Reports of one preset on different seeds merge into the first one's folder.
  const groups = new Map<string, { dir: string; reports: Report[] }>();
  for (const p of paths) {
    const path = resolve(p);
    const r = validateReport(JSON.parse(readFileSync(path, 'utf8')));
    const g = groups.get(r.preset.id);
    if (g) g.reports.push(r);
    else groups.set(r.preset.id, { dir: dirname(path), reports: [r] });
  }
  const loaded = [...groups.values()].map(({ dir, reports }) => {
    if (reports.length > 1) console.log(`merging ${reports.length} reports into ${dir}`);
    const report = mergeReports(reports);
    const { summary, claim } = analyseRuns(
      report.runs,
      report.budget.policies,
      report.metric,
      report.flops,
      report.baseConfig.K,
    );
    return { dir, report: validateReport({ ...report, summary, claim }) };
  });
  // The reproduce order (a shell glob would sort the presets by name).
  const rank = (id: string) => {
    const i = (REPRODUCE_PRESETS as readonly string[]).indexOf(id);
    return i < 0 ? REPRODUCE_PRESETS.length : i;
  };
  loaded.sort((a, b) => rank(a.report.preset.id) - rank(b.report.preset.id));
  for (const { dir, report } of loaded) {
    writeOutputs(dir, report, true);
    console.log(`re-rendered ${dir}`);
  }
  const first = loaded[0]!;
  const folder = basename(first.dir);
  const date = /^\d{4}-\d{2}-\d{2}-/.test(folder)
    ? folder.slice(0, 10)
    : first.report.createdAt.slice(0, 10);
  const file = join(dirname(first.dir), `${date}-summary.md`);
  const ms = loaded.reduce((a, l) => a + l.report.wallClockMs, 0);
  writeFileSync(
    file,
    summaryMarkdown(
      loaded.map((l) => l.report),
      { date, command: first.report.command, wallClock: { ms, measured: false } },
    ),
  );
  console.log(`re-rendered ${file}`);
}

/** One run of a sweep, with its progress bar and line. */
async function sweepRun(config: ExperimentConfig, data: TaskData, steps: number, label: string) {
  const run = await runWithBar(config, data, steps, label);
  console.log(
    `${label}: final ${run.finalSmoothed.toPrecision(4)}, ${formatPercent(run.totalFlops / run.vanillaTotalFlops)} of vanilla's FLOPs, ${formatDuration(run.timing.wallMs)}`,
  );
  return run;
}

/**
 * `--sweep`: per preset, vanilla once (its final smoothed metric is V*) and MAT at every α × β
 * of the fixed grid, with the first seed; writes <date>-sensitivity.md and .json in --out.
 */
async function sweep(opts: Options, date: string, command: string): Promise<void> {
  const seed = opts.seeds[0] ?? 1;
  const sweeps: Sweep[] = [];
  const t0 = performance.now();
  for (const id of opts.presets) {
    const { budget, data, facts, configFor } = await presetSetup(id, opts);
    const total = 1 + SWEEP_ALPHAS.length * SWEEP_BETAS.length;
    const vanillaRaw = await sweepRun(
      configFor('vanilla', seed),
      data,
      budget.steps,
      `[1/${total}] ${id} vanilla`,
    );
    const target = vanillaRaw.finalSmoothed;
    const higher = facts.metric.higherIsBetter;
    const vanilla = withTarget(vanillaRaw, target, SMOOTHING_WINDOW, higher);
    const mat = [];
    let i = 1;
    for (const config of sweepConfigs(configFor('mat', seed))) {
      i++;
      const label = `[${i}/${total}] ${id} MAT α ${config.alpha} β ${config.beta}`;
      const raw = await sweepRun(config, data, budget.steps, label);
      mat.push(withTarget(raw, target, SMOOTHING_WINDOW, higher));
    }
    sweeps.push({ preset: id, metric: facts.metric, vanilla, mat });
  }
  mkdirSync(resolve(opts.out), { recursive: true });
  const md = [
    `# Threshold sensitivity (${date})`,
    '',
    `\`${command}\` — ${formatDuration(performance.now() - t0)} on ${cpus().length} cores. ` +
      'MAT with every other setting at the preset defaults; the grid was fixed before any run.',
    '',
    ...sweeps.map(sweepMarkdown),
  ].join('\n');
  const file = resolve(opts.out, `${date}-sensitivity.md`);
  writeFileSync(file, md);
  const slim = sweeps.map((s) => ({
    preset: s.preset,
    metric: s.metric,
    runs: [s.vanilla, ...s.mat].map((r) => ({
      policy: r.policy,
      alpha: r.config.alpha,
      beta: r.config.beta,
      seed: r.seed,
      steps: r.steps,
      finalSmoothed: r.finalSmoothed,
      target: r.target,
      flopsToTarget: r.flopsToTarget,
      totalFlops: r.totalFlops,
      vanillaTotalFlops: r.vanillaTotalFlops,
      meanUpdatedShare: r.meanUpdatedShare,
      meanStepMs: r.timing.meanStepMs,
    })),
  }));
  writeFileSync(resolve(opts.out, `${date}-sensitivity.json`), JSON.stringify(slim, null, 1));
  console.log(`\nwrote ${file}`);
}

async function main(): Promise<void> {
  const opts = parseOptions(process.argv.slice(2));
  if (opts.render.length > 0) {
    render(opts.render);
    return;
  }
  const t0 = performance.now();
  const { description } = await setupNodeBackend(opts.backend, { gles: opts.gles });
  const command = [
    'npm run reproduce',
    ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : []),
  ].join(' ');
  const date = new Date().toISOString().slice(0, 10);
  if (opts.sweep) {
    await sweep(opts, date, command);
    return;
  }
  const ctx: Context = {
    opts,
    backend: description,
    git: gitState(),
    command,
    date,
    done: 0,
    total: opts.presets.length * opts.policies.length * opts.seeds.length,
  };
  console.log(
    `MAT reproduction on ${description}: ${opts.presets.join(', ')} × ${opts.policies.map((p) => POLICY_LABELS[p]).join(', ')} × ` +
      `seeds ${opts.seeds.join(', ')}${opts.quick ? ' (quick)' : ''} → ${resolve(opts.out)}`,
  );
  const reports: Report[] = [];
  for (const id of opts.presets) {
    const report = await reproducePreset(id, ctx);
    const dir = resolve(opts.out, `${ctx.date}-${report.preset.id}`);
    writeOutputs(dir, report, true);
    reports.push(report);
    console.log(
      `${id}: wrote ${dir} (${formatDuration(report.wallClockMs)}); tensors alive: ${tf.memory().numTensors}`,
    );
  }
  const wallMs = performance.now() - t0;
  mkdirSync(resolve(opts.out), { recursive: true });
  const summaryFile = resolve(opts.out, `${ctx.date}-summary.md`);
  writeFileSync(
    summaryFile,
    summaryMarkdown(reports, {
      date: ctx.date,
      command: ctx.command,
      wallClock: { ms: wallMs, measured: true },
    }),
  );

  console.log(`\nSummary (${formatDuration(wallMs)} in all; ${summaryFile})`);
  for (const r of reports) {
    const verdict = r.claim
      ? r.claim.reproduced
        ? 'REPRODUCED'
        : 'NOT REPRODUCED'
      : 'no verdict (vanilla or MAT not run)';
    console.log(`\n${r.preset.id}: ${verdict}`);
    for (const n of r.claim?.notes ?? []) console.log(`  - ${n}`);
  }
  const leaks = reports.flatMap((r) => r.runs.filter((x) => x.leakedTensors !== 0));
  if (leaks.length > 0)
    console.log(
      `\nWarning: ${leaks.length} runs left tensors behind (see leakedTensors in report.json).`,
    );
}

main().then(
  () => process.exit(0), // Dawn (webgpu) would keep Node alive.
  (e: unknown) => {
    if (e instanceof UsageError) {
      console.error(`reproduce: ${e.message}\n\n${USAGE}`);
      process.exit(2);
    }
    console.error(`reproduce failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exit(1);
  },
);
