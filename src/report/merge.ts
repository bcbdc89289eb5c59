/**
 * Reports of the same preset run on different seeds (`npm run reproduce -- --seeds 2,3` after a
 * run of seed 1), as one report: their runs together, the seeds' union, the wall-clocks summed.
 * Only reports of the same experiment merge: the same preset, budget (steps, validation interval,
 * policies, smoothing), configuration apart from the seed, modules and FLOP counts; a seed in
 * two of them is refused. The summary and verdict are the caller's to compute again over the
 * merged runs (`analyseRuns`).
 */
import type { Report } from './schema';

export class ReportMergeError extends Error {
  override name = 'ReportMergeError';
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** `reports` (at least one) as one; throws ReportMergeError naming what differs. */
export function mergeReports(reports: readonly Report[]): Report {
  const [first, ...rest] = reports;
  if (!first) throw new ReportMergeError('no report to merge');
  if (rest.length === 0) return first;
  const { seed: _seed, ...base } = first.baseConfig;
  const seeds = new Set(first.budget.seeds);
  for (const r of rest) {
    const where = `${r.preset.id} (${r.createdAt})`;
    const differs = (what: string) =>
      new ReportMergeError(`${where} cannot be merged with ${first.createdAt}: ${what} differ.`);
    if (r.preset.id !== first.preset.id) throw differs('the presets');
    const { seed: _s, ...other } = r.baseConfig;
    if (!same(other, base)) throw differs('the configurations (apart from the seed)');
    const { seeds: _a, ...budget } = r.budget;
    const { seeds: _b, ...firstBudget } = first.budget;
    if (!same(budget, firstBudget)) throw differs('the budgets');
    if (!same(r.modules, first.modules)) throw differs('the modules');
    if (!same(r.flops, first.flops)) throw differs('the FLOP counts');
    if (r.quick !== first.quick) throw differs('quick and full budgets');
    for (const s of r.budget.seeds) {
      if (seeds.has(s)) throw new ReportMergeError(`${where}: seed ${s} is in two reports.`);
      seeds.add(s);
    }
  }
  const all = [first, ...rest];
  const order = first.budget.policies;
  const runs = all
    .flatMap((r) => r.runs)
    .sort((a, b) => a.seed - b.seed || order.indexOf(a.policy) - order.indexOf(b.policy));
  return {
    ...first,
    createdAt: all.map((r) => r.createdAt).sort()[all.length - 1]!,
    command: all.map((r) => r.command).join(' + '),
    budget: { ...first.budget, seeds: [...seeds].sort((a, b) => a - b) },
    environment: {
      ...first.environment,
      loadAverage: {
        start: Math.max(...all.map((r) => r.environment.loadAverage.start)),
        end: Math.max(...all.map((r) => r.environment.loadAverage.end)),
      },
      gitCommit:
        [...new Set(all.map((r) => r.environment.gitCommit).filter((c) => c !== null))]
          .join(' + ')
          .slice(0, 64) || null,
      gitDirty: all.some((r) => r.environment.gitDirty === true),
    },
    wallClockMs: all.reduce((s, r) => s + r.wallClockMs, 0),
    runs,
  };
}
