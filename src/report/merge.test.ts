import { describe, expect, it } from 'vitest';
import { analyseRuns } from './analyse';
import { mergeReports, ReportMergeError } from './merge';
import type { Report } from './schema';
import { validateReport } from './schema';
import { fakeReport } from './testing';

/** `fakeReport` moved to `seed` (its runs and base config), created at `createdAt`. */
function onSeed(seed: number, createdAt: string, wallClockMs = 1000): Report {
  const r = fakeReport();
  return {
    ...r,
    createdAt,
    wallClockMs,
    command: `npm run reproduce -- --seeds ${seed}`,
    budget: { ...r.budget, seeds: [seed] },
    baseConfig: { ...r.baseConfig, seed },
    runs: r.runs.map((run) => ({ ...run, seed, config: { ...run.config, seed } })),
    environment: { ...r.environment, gitCommit: `c${seed}`, loadAverage: { start: seed, end: 0 } },
  };
}

describe('merging reports of one preset run on different seeds', () => {
  it('puts the runs together by seed and policy, the seeds’ union, the wall-clocks summed', () => {
    const a = onSeed(1, '2026-12-01T10:00:00.000Z', 1000);
    const b = onSeed(3, '2026-12-01T12:00:00.000Z', 500);
    const c = onSeed(2, '2026-12-01T11:00:00.000Z', 250);
    const m = validateReport(mergeReports([a, b, c]));
    expect(m.budget.seeds).toEqual([1, 2, 3]);
    expect(m.runs.map((r) => `${r.seed}:${r.policy}`)).toEqual([
      '1:vanilla',
      '1:mat',
      '2:vanilla',
      '2:mat',
      '3:vanilla',
      '3:mat',
    ]);
    expect(m.wallClockMs).toBe(1750);
    expect(m.createdAt).toBe('2026-12-01T12:00:00.000Z');
    expect(m.baseConfig.seed).toBe(1);
    expect(m.environment.gitCommit).toBe('c1 + c3 + c2');
    expect(m.environment.loadAverage.start).toBe(3);
    expect(m.command).toBe(
      'npm run reproduce -- --seeds 1 + npm run reproduce -- --seeds 3 + npm run reproduce -- --seeds 2',
    );
    // The summary over the merged runs counts three seeds.
    const { summary } = analyseRuns(m.runs, m.budget.policies, m.metric, m.flops, m.baseConfig.K);
    expect(summary.find((s) => s.policy === 'mat')!.seeds).toBe(3);
  });

  it('refuses a seed in two reports, and reports of another experiment, naming what differs', () => {
    const a = onSeed(1, '2026-12-01T10:00:00.000Z');
    expect(() => mergeReports([a, onSeed(1, '2026-12-01T11:00:00.000Z')])).toThrow(
      /seed 1 is in two reports/,
    );
    const lr = onSeed(2, 'x');
    lr.baseConfig = { ...lr.baseConfig, lr: lr.baseConfig.lr * 2 };
    expect(() => mergeReports([a, lr])).toThrow(
      /the configurations \(apart from the seed\) differ/,
    );
    const steps = onSeed(2, 'x');
    steps.budget = { ...steps.budget, steps: 40 };
    expect(() => mergeReports([a, steps])).toThrow(/the budgets differ/);
    const flops = onSeed(2, 'x');
    flops.flops = { ...flops.flops, perEvaluation: 11 };
    expect(() => mergeReports([a, flops])).toThrow(ReportMergeError);
    expect(() => mergeReports([])).toThrow(/no report/);
    expect(mergeReports([a])).toBe(a);
  });
});
