import { describe, expect, it } from 'vitest';
import {
  breakEven,
  claimVerdict,
  finalSmoothed,
  firstReach,
  meanCurve,
  meanTarget,
  pairedDifference,
  policyCurves,
  reaches,
  saving,
  spread,
  stepWeightedShare,
  summarise,
  trailingMean,
} from './analyse';
import { fakeReport, fakeRun } from './testing';

describe('trailing mean', () => {
  it('averages the last m points, fewer at the start', () => {
    // [4, 2, 6, 8] with m = 3: 4, (4+2)/2, (4+2+6)/3, (2+6+8)/3
    expect(trailingMean([4, 2, 6, 8], 3)).toEqual([4, 3, 4, 16 / 3]);
    expect(trailingMean([4, 2, 6, 8], 1)).toEqual([4, 2, 6, 8]);
    expect(trailingMean([], 3)).toEqual([]);
    expect(finalSmoothed([4, 2, 6, 8], 2)).toBe(7);
    expect(() => trailingMean([1], 0)).toThrow(RangeError);
  });
});

describe('V* and FLOPs to V*', () => {
  // Perplexity falling; cumulative FLOPs 0, 10, 20, 30, 40.
  const curve = {
    step: [0, 10, 20, 30, 40],
    flops: [0, 10, 20, 30, 40],
    metric: [100, 80, 60, 50, 40],
  };

  it('reaches means ≤ for lower-is-better and ≥ for higher-is-better', () => {
    expect(reaches(5, 5, false)).toBe(true);
    expect(reaches(5.1, 5, false)).toBe(false);
    expect(reaches(0.8, 0.8, true)).toBe(true);
    expect(reaches(0.79, 0.8, true)).toBe(false);
  });

  it('finds the first point whose smoothed metric reaches the target', () => {
    // m = 2: smoothed = 100, 90, 70, 55, 45. Target 60 is first reached at 55 (step 30).
    expect(firstReach(curve, 60, 2, false)).toEqual({ index: 3, step: 30, flops: 30 });
    // m = 1 uses raw values: 60 at step 20.
    expect(firstReach(curve, 60, 1, false)).toEqual({ index: 2, step: 20, flops: 20 });
    // Vanilla's own V* is reached at its last point by definition.
    const vstar = finalSmoothed(curve.metric, 3); // (60 + 50 + 40) / 3 = 50
    expect(vstar).toBe(50);
    expect(firstReach(curve, vstar, 3, false)?.step).toBe(40);
    expect(firstReach(curve, 10, 2, false)).toBeNull();
  });

  it('works for accuracy (higher is better)', () => {
    const acc = { step: [0, 5, 10], flops: [0, 7, 14], metric: [0.5, 0.9, 0.7] };
    expect(firstReach(acc, 0.7, 2, true)).toEqual({ index: 1, step: 5, flops: 7 }); // (0.5+0.9)/2 = 0.7
    expect(firstReach(acc, 0.85, 2, true)).toBeNull();
  });
});

describe('spread and saving', () => {
  it('mean and sample standard deviation', () => {
    // 2, 4, 6: mean 4, sample variance (4 + 0 + 4) / 2 = 4
    expect(spread([2, 4, 6])).toEqual({ mean: 4, std: 2, n: 3 });
    expect(spread([7])).toEqual({ mean: 7, std: 0, n: 1 });
    expect(spread([]).n).toBe(0);
    expect(saving(0.6)).toBeCloseTo(0.4, 12);
    expect(saving(1.26)).toBeCloseTo(-0.26, 12);
  });
});

describe('summaries over seeds', () => {
  const c = (flops: number[], metric: number[]) => ({ step: [0, 10, 20], flops, metric });
  const runs = [
    fakeRun('vanilla', 1, c([0, 50, 100], [9, 6, 5]), {
      flopsToTarget: 100,
      vanillaTotalFlops: 100,
    }),
    fakeRun('vanilla', 2, c([0, 50, 100], [9, 7, 6]), {
      flopsToTarget: 80,
      vanillaTotalFlops: 100,
    }),
    fakeRun('mat', 1, c([0, 40, 90], [9, 6, 5]), {
      flopsToTarget: 60,
      totalFlops: 90,
      vanillaTotalFlops: 100,
    }),
    fakeRun('mat', 2, c([0, 40, 90], [9, 8, 8]), {
      flopsToTarget: null,
      totalFlops: 110,
      vanillaTotalFlops: 100,
    }),
  ];

  it('pairs ratios by seed and leaves out seeds that did not reach V*', () => {
    const [van, mat] = summarise(runs, ['vanilla', 'mat', 'random']);
    expect(van?.ratioToVanilla).toEqual({ mean: 1, std: 0, n: 2 });
    expect(mat?.reached).toBe(1);
    expect(mat?.flopsToTarget).toEqual({ mean: 60, std: 0, n: 1 });
    // Seed 1 only: 60 / 100.
    expect(mat?.ratioToVanilla?.mean).toBeCloseTo(0.6, 12);
    // Totals over both seeds: 0.9 and 1.1.
    expect(mat?.totalRatio.mean).toBeCloseTo(1, 12);
    expect(mat?.totalRatio.std).toBeCloseTo(Math.SQRT2 * 0.1, 12);
    expect(mat?.finalSmoothed.mean).toBe(6.5);
  });

  it('omits policies without runs', () => {
    expect(summarise(runs, ['vanilla', 'mat', 'random']).map((s) => s.policy)).toEqual([
      'vanilla',
      'mat',
    ]);
  });
});

describe('break-even and the claim', () => {
  it('computes what the accounting allows at best', () => {
    // Evaluation = 33 FLOPs = 3.3 steps of 10; K = 10 → +33 % a step; all frozen: 8.9 → saves 11 %.
    const be = breakEven({ perVanillaStep: 10, perEvaluation: 33, perStepAllFrozen: 8.9 }, 10);
    expect(be.evaluationInSteps).toBeCloseTo(3.3, 12);
    expect(be.overheadPerStep).toBeCloseTo(0.33, 12);
    expect(be.maxFreezeSaving).toBeCloseTo(0.11, 12);
    expect(be.bestRatio).toBeCloseTo(1.22, 12);
  });

  const be = breakEven({ perVanillaStep: 10, perEvaluation: 1, perStepAllFrozen: 2 }, 10);
  const metric = { name: 'perplexity', higherIsBetter: false } as const;
  const c = (flops: number[], metric: number[]) => ({ step: [0, 10, 20], flops, metric });

  it('holds when MAT reaches V* with ≤ 60 % in every seed, ends no worse and beats random', () => {
    const runs = [
      fakeRun('vanilla', 1, c([0, 50, 100], [9, 6, 5]), { flopsToTarget: 100 }),
      fakeRun('mat', 1, c([0, 30, 55], [9, 5, 4.9]), { flopsToTarget: 55 }),
      fakeRun('random', 1, c([0, 30, 55], [9, 7, 6]), { flopsToTarget: null }),
    ];
    const v = claimVerdict(summarise(runs, ['vanilla', 'mat', 'random']), runs, metric, be, 10);
    expect(v).toMatchObject({ within60: true, noWorse: true, beatsRandom: true, reproduced: true });
    expect(v?.matRatio).toBeCloseTo(0.55, 12);
    // MAT 4.9 vs vanilla 5 and random 6, one seed.
    expect(v?.notes[1]).toContain('per seed, MAT − vanilla = −0.10 (1 seed)');
    expect(v?.notes[2]).toContain('per seed, MAT − random = −1.10 (1 seed)');
  });

  it('fails on FLOPs when MAT needs more than 60 %, and on a worse final metric', () => {
    const runs = [
      fakeRun('vanilla', 1, c([0, 50, 100], [9, 6, 5]), { flopsToTarget: 100 }),
      fakeRun('mat', 1, c([0, 60, 126], [9, 6, 5.2]), { flopsToTarget: null }),
      fakeRun('random', 1, c([0, 60, 126], [9, 6, 5.1]), { flopsToTarget: null }),
    ];
    const v = claimVerdict(summarise(runs, ['vanilla', 'mat', 'random']), runs, metric, be, 10);
    expect(v).toMatchObject({
      within60: false,
      matRatio: null,
      noWorse: false,
      beatsRandom: false,
      reproduced: false,
    });
    expect(v?.notes[0]).toMatch(/did not reach V\*/);
  });

  it('pairs final metrics by seed', () => {
    const runs = [
      fakeRun('vanilla', 1, c([0, 1, 2], [3, 2, 10])),
      fakeRun('vanilla', 2, c([0, 1, 2], [3, 2, 20])),
      fakeRun('mat', 1, c([0, 1, 2], [3, 2, 11])),
      fakeRun('mat', 2, c([0, 1, 2], [3, 2, 23])),
      fakeRun('mat', 3, c([0, 1, 2], [3, 2, 99])),
    ];
    // Seeds 1 and 2 only: differences 1 and 3.
    expect(pairedDifference(runs, 'mat', 'vanilla')).toEqual({ mean: 2, std: Math.SQRT2, n: 2 });
    expect(pairedDifference(runs, 'mat', 'random')).toBeNull();
  });

  it('has no verdict without vanilla or MAT', () => {
    const runs = [fakeRun('vanilla', 1, c([0, 1, 2], [3, 2, 1]), { flopsToTarget: 2 })];
    expect(claimVerdict(summarise(runs, ['vanilla']), runs, metric, be, 10)).toBeNull();
  });
});

describe('curves', () => {
  it('averages curves point by point, cut to the shortest', () => {
    const a = { step: [0, 10, 20], flops: [0, 10, 20], metric: [1, 2, 3] };
    const b = { step: [0, 10], flops: [0, 30], metric: [3, 4] };
    expect(meanCurve([a, b])).toEqual({ step: [0, 10], flops: [0, 20], metric: [2, 3] });
    expect(meanCurve([])).toEqual({ step: [], flops: [], metric: [] });
  });

  it('gives each policy its seeds and smoothed mean, and V* over seeds', () => {
    const report = fakeReport();
    const curves = policyCurves(report);
    expect(curves.map((c) => c.policy)).toEqual(['vanilla', 'mat']);
    expect(curves[1]?.smoothedMean.metric).toEqual([0.5, 0.75, 0.85]); // window 1
    expect(meanTarget(report)).toBe(0.8);
  });

  it('weights the share of updated modules by the steps it held', () => {
    // 100 % for steps 0–9, 50 % for 10–19, 25 % for 20–39: (10 + 5 + 5) / 40
    expect(stepWeightedShare({ step: [0, 10, 20], share: [1, 0.5, 0.25] }, 40)).toBeCloseTo(
      0.5,
      12,
    );
    // No evaluation before step 10: everything trains until then.
    expect(stepWeightedShare({ step: [10], share: [0] }, 20)).toBeCloseTo(0.5, 12);
  });
});
