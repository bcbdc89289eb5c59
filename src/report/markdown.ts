/**
 * The comparison as Markdown, in the style of the paper's tables: one row per policy, the
 * metric and compute columns, and the saving versus vanilla in %.
 */
import type { PolicyName } from '../core/config';
import { byPolicy } from '../core/policies/registry';
import { formatFlops, formatMs, formatPercent, formatSI } from './format';
import type { PolicySummary, Report, Spread } from './schema';

/** Each policy's label, as in the lab's menus. */
export const POLICY_LABELS: Readonly<Record<PolicyName, string>> = byPolicy((p) => p.label);

/** Table columns, in order (tests check a row has one cell per column). */
export const TABLE_COLUMNS = [
  'Policy',
  'Final val. metric',
  'Reached V*',
  'FLOPs to V*',
  'Saving to V* vs vanilla',
  'Total FLOPs',
  'Total vs vanilla',
  'ms/step (median · mean incl. mNTK)',
  'Modules updated',
] as const;

const PM = '±';

/** A metric value: perplexity with 4 significant digits, accuracy in % with 1 decimal. */
export function formatMetric(x: number, name: Report['metric']['name']): string {
  if (!Number.isFinite(x)) return '—';
  return name === 'accuracy' ? `${(x * 100).toFixed(1)} %` : x.toPrecision(4);
}

function metricSpread(s: Spread, name: Report['metric']['name']): string {
  if (s.n < 2 || s.std === 0) return formatMetric(s.mean, name);
  const sd = name === 'accuracy' ? `${(s.std * 100).toFixed(1)} %` : s.std.toPrecision(2);
  return `${formatMetric(s.mean, name)} ${PM} ${sd}`;
}

function flopSpread(s: Spread | null): string {
  if (!s) return '—';
  return s.n < 2 || s.std === 0
    ? formatFlops(s.mean)
    : `${formatFlops(s.mean)} ${PM} ${formatSI(s.std, '')}`.trimEnd();
}

/** A share (ratio), as "57.3 %" or "57.3 ± 2.1 %". */
function shareSpread(s: Spread | null, transform: (x: number) => number = (x) => x): string {
  if (!s) return '—';
  const v = formatPercent(transform(s.mean));
  return s.n < 2 || s.std === 0 ? v : `${v.replace(' %', '')} ${PM} ${(s.std * 100).toFixed(1)} %`;
}

/** One table row per policy summary. */
export function tableRow(s: PolicySummary, metricName: Report['metric']['name']): string[] {
  return [
    POLICY_LABELS[s.policy],
    metricSpread(s.finalSmoothed, metricName),
    `${s.reached}/${s.seeds}`,
    flopSpread(s.flopsToTarget),
    s.policy === 'vanilla' ? '—' : shareSpread(s.ratioToVanilla, (r) => 1 - r),
    flopSpread(s.totalFlops),
    shareSpread(s.totalRatio),
    `${formatMs(s.medianStepMs.mean)} · ${formatMs(s.meanStepMs.mean)}`,
    formatPercent(s.meanUpdatedShare.mean),
  ];
}

/** A wall-clock duration: "48 s", "12 min 5 s". */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  return `${Math.floor(s / 60)} min ${s % 60} s`;
}

/** One row of a Markdown table. */
export const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;

/** The table alone: header, separator, one row per policy. */
export function markdownTable(report: Pick<Report, 'summary' | 'metric'>): string {
  const head = line(
    TABLE_COLUMNS.map((c) => (c === 'Final val. metric' ? `Final val. ${report.metric.name}` : c)),
  );
  const sep = line(TABLE_COLUMNS.map((_, i) => (i === 0 ? '---' : '---:')));
  const rows = report.summary.map((s) => line(tableRow(s, report.metric.name)));
  return [head, sep, ...rows].join('\n');
}

/** The preset's section: what was run, the table, and the verdict on the claim. */
export function markdownSection(report: Report): string {
  const b = report.budget;
  const m = report.metric;
  const c = report.baseConfig;
  const vanillaTargets = report.runs.filter((r) => r.policy === 'vanilla').map((r) => r.target);
  const vstar =
    vanillaTargets.length > 0
      ? formatMetric(vanillaTargets.reduce((a, x) => a + x, 0) / vanillaTargets.length, m.name)
      : '—';
  const out: string[] = [];
  out.push(
    `### ${report.preset.id}: ${report.preset.label}${report.quick ? ' (quick: structure only)' : ''}`,
  );
  out.push('');
  out.push(
    `${b.steps} steps × ${b.seeds.length} seed${b.seeds.length > 1 ? 's' : ''} (${b.seeds.join(', ')}) on ` +
      `${report.environment.backend}; MAT defaults α = ${c.alpha}, β = ${c.beta}, K = ${c.K}, ` +
      `W0 = ${c.warmup}, w = ${c.window}, ref = ${c.ref}. Validation ${m.name} ` +
      `(${m.higherIsBetter ? 'higher' : 'lower'} is better) every ${b.valEvery} steps, smoothed by a ` +
      `trailing mean of ${b.smoothing.window} points; V* = vanilla's final smoothed value per seed ` +
      `(mean ${vstar}). FLOPs are charged training FLOPs, mNTK evaluations included; ` +
      `wall-clock ${formatDuration(report.wallClockMs)} for this preset.`,
  );
  out.push('');
  out.push(markdownTable(report));
  out.push('');
  if (report.claim) {
    out.push(
      `**Claim ${report.claim.reproduced ? 'reproduced' : 'not reproduced'}** ` +
        `(≤ 60 % of vanilla's FLOPs to V*: ${report.claim.within60 ? 'yes' : 'no'}; no worse than ` +
        `vanilla: ${report.claim.noWorse ? 'yes' : 'no'}; beats random: ` +
        `${report.claim.beatsRandom === null ? 'not run' : report.claim.beatsRandom ? 'yes' : 'no'}).`,
    );
    out.push('');
    for (const n of report.claim.notes) out.push(`- ${n}`);
    out.push('');
  }
  return out.join('\n');
}

/** The run's one-page summary: one line per preset, then each preset's section and links. */
export function summaryMarkdown(
  reports: readonly Report[],
  run: {
    date: string;
    command: string;
    /** `measured`: the command's own wall-clock; else the sum of the presets' (re-rendered). */
    wallClock: { ms: number; measured: boolean };
  },
): string {
  const env = reports[0]?.environment;
  const quick = reports.some((r) => r.quick);
  const f = (r: Report, x: number | undefined) =>
    x === undefined ? '—' : formatMetric(x, r.metric.name);
  const lines = [
    `# MAT reproduction, ${run.date}${quick ? ' (quick)' : ''}`,
    '',
    `Command: \`${run.command}\`  `,
    `Wall-clock: ${formatDuration(run.wallClock.ms)}${run.wallClock.measured ? '' : " (sum of the presets' wall-clock)"} ` +
      `on ${env?.cpus ?? '?'} × ${env?.cpuModel ?? '?'}, ${env?.backend ?? '?'}, Node ${env?.node ?? '?'}, ` +
      `TF.js ${env?.tfjs ?? '?'}; commit ${env?.gitCommit?.slice(0, 10) ?? 'unknown'}` +
      `${env?.gitDirty ? ' (with uncommitted changes)' : ''}.`,
    '',
    '| Preset | MAT FLOPs to V* (vs vanilla) | MAT final vs vanilla | MAT vs random | Claim |',
    '|---|---:|---|---|---|',
    ...reports.map((r) => {
      const c = r.claim;
      const get = (p: PolicyName) => r.summary.find((s) => s.policy === p)?.finalSmoothed.mean;
      const mat = r.summary.find((s) => s.policy === 'mat');
      const ratio = c?.matRatio;
      return (
        `| ${r.preset.id} | ${ratio !== null && ratio !== undefined ? formatPercent(ratio) : 'not reached'} ` +
        `(${mat?.reached ?? 0}/${mat?.seeds ?? 0} seeds) | ${f(r, get('mat'))} vs ${f(r, get('vanilla'))} | ` +
        `${f(r, get('mat'))} vs ${f(r, get('random'))} | ` +
        `${c ? (c.reproduced ? 'reproduced' : 'not reproduced') : '—'} |`
      );
    }),
    '',
    ...reports.flatMap((r) => {
      const dir = `${run.date}-${r.preset.id}`;
      return [
        markdownSection(r),
        `Plots: [metric vs FLOPs](${dir}/metric-vs-flops.svg), [λmax heatmap](${dir}/lambda-heatmap.svg); ` +
          `numbers: [report.json](${dir}/report.json).`,
        '',
      ];
    }),
  ];
  return lines.join('\n');
}
