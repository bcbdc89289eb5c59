import { describe, expect, it } from 'vitest';
import { presetConfig } from '../core/presets';
import { fakeReport } from '../report/testing';
import { appendMetrics, emptyMetrics } from '../store/metrics';
import { configDifferences, labCurve, metricDomain, reportSeries } from './report-view';

const batch = (steps: number[], flops: number[]) => ({
  steps: Int32Array.from(steps),
  loss: Float32Array.from(steps.map(() => 1)),
  flops: Float64Array.from(flops),
  vanillaFlops: Float64Array.from(flops),
  split: null,
});

describe('report view', () => {
  it('compares the lab run with the report by model, data and training fields only', () => {
    const report = fakeReport(); // mlp-spiral
    const lab = presetConfig('mlp-spiral')!;
    expect(configDifferences(report, { ...lab, policy: 'random', alpha: 2, seed: 9 })).toEqual([]);
    expect(configDifferences(report, { ...lab, hidden: '4' })).toEqual(['hidden']);
    expect(configDifferences(report, presetConfig('bert-austen')!)).toContain('model');
  });

  it('puts the lab run’s validation points at their cumulative FLOPs', () => {
    const metrics = appendMetrics(emptyMetrics(), batch([1, 2, 3, 4], [10, 20, 35, 50]));
    const curve = labCurve(metrics, { step: [0, 2, 4, 6], perplexity: [0.5, 0.6, 0.7, 0.8] });
    // Step 6 has no metrics yet: left out. Step 0 has spent nothing.
    expect(curve).toEqual({ step: [0, 2, 4], flops: [0, 20, 50], metric: [0.5, 0.6, 0.7] });
  });

  it('draws one series per policy and the lab run when given', () => {
    const report = fakeReport();
    const without = reportSeries(report, null);
    expect(without.map((s) => s.policy)).toEqual(['vanilla', 'mat']);
    expect(without[1]?.points).toEqual([
      { flops: 0, metric: 0.5 },
      { flops: 60, metric: 0.75 },
      { flops: 120, metric: 0.85 },
    ]);
    const lab = {
      curve: { step: [0, 10], flops: [0, 5], metric: [0.4, 0.6] },
      policy: 'mat' as const,
    };
    const withLab = reportSeries(report, lab);
    expect(withLab.map((s) => s.key)).toEqual(['vanilla', 'mat', 'lab']);
    expect(withLab[2]?.label).toMatch(/this lab run/);
    const domain = metricDomain(withLab, true, 0.8);
    // 0.4 … 0.85 padded by 0.01 and rounded outwards to multiples of 5 %.
    expect(domain[0]).toBeCloseTo(0.35, 12);
    expect(domain[1]).toBeCloseTo(0.9, 12);
    expect(metricDomain([], false, NaN)).toEqual([1, 10]);
  });
});
