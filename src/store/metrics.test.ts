import { describe, expect, it } from 'vitest';
import type { MetricsBatch } from '../protocol/messages';
import { lossRows } from '../ui/loss-data';
import {
  appendMetrics,
  downsampleLoss,
  emptyMetrics,
  LOSS_SMOOTHING,
  strideIndices,
} from './metrics';

function batch(from: number, losses: number[]): MetricsBatch {
  const n = losses.length;
  return {
    steps: Int32Array.from({ length: n }, (_, i) => from + i),
    loss: Float32Array.from(losses),
    flops: Float64Array.from({ length: n }, (_, i) => (from + i) * 10),
    vanillaFlops: Float64Array.from({ length: n }, (_, i) => (from + i) * 20),
    split: null,
  };
}

describe('appendMetrics', () => {
  it('appends batches in order and keeps earlier buffers valid', () => {
    const a = appendMetrics(emptyMetrics(), batch(1, [3, 2]));
    const b = appendMetrics(a, batch(3, [1]));
    expect(a.length).toBe(2);
    expect(b.length).toBe(3);
    expect(Array.from(b.steps.subarray(0, 3))).toEqual([1, 2, 3]);
    expect(Array.from(b.loss.subarray(0, 3))).toEqual([3, 2, 1]);
    expect(b.flops[2]).toBe(30);
    expect(b.vanillaFlops[2]).toBe(60);
    expect(Array.from(a.loss.subarray(0, a.length))).toEqual([3, 2]);
    expect(b).not.toBe(a);
  });

  it('grows by doubling, so 100k steps in small batches copy O(n) in total', () => {
    let m = emptyMetrics();
    const capacities = new Set<number>();
    for (let s = 1; s <= 100_000; s += 50) {
      m = appendMetrics(
        m,
        batch(
          s,
          Array.from({ length: 50 }, () => 1),
        ),
      );
      capacities.add(m.steps.length);
    }
    expect(m.length).toBe(100_000);
    expect(m.steps[99_999]).toBe(100_000);
    expect(capacities.size).toBeLessThanOrEqual(8);
  });

  it('smooths with a debiased EMA and skips non-finite losses', () => {
    const s = LOSS_SMOOTHING;
    const m = appendMetrics(emptyMetrics(), batch(1, [4, 2, NaN, 2]));
    expect(m.ema[0]).toBeCloseTo(4, 5); // debiased: the first value itself
    const acc2 = s * (1 - s) * 4 + (1 - s) * 2;
    expect(m.ema[1]).toBeCloseTo(acc2 / (1 - s ** 2), 5);
    expect(m.ema[2]).toBeCloseTo(acc2 / (1 - s ** 2), 5);
    const acc3 = s * acc2 + (1 - s) * 2;
    expect(m.ema[3]).toBeCloseTo(acc3 / (1 - s ** 3), 5);
  });

  it('is unchanged by an empty batch', () => {
    const m = appendMetrics(emptyMetrics(), batch(1, [1]));
    expect(appendMetrics(m, batch(2, []))).toBe(m);
  });
});

describe('downsampleLoss', () => {
  it('returns every step of a short run', () => {
    const m = appendMetrics(emptyMetrics(), batch(1, [5, 4, 3]));
    expect(downsampleLoss(m, 10).map((p) => p.step)).toEqual([1, 2, 3]);
  });

  it('keeps at most maxPoints points and every bucket’s extremes (spikes survive)', () => {
    const losses = Array.from({ length: 100_000 }, (_, i) => 5 - i / 50_000);
    losses[54_321] = 50; // a spike
    const m = appendMetrics(emptyMetrics(), batch(1, losses));
    const pts = downsampleLoss(m, 1000);
    expect(pts.length).toBeLessThanOrEqual(1000);
    expect(pts.some((p) => p.raw === 50 && p.step === 54_322)).toBe(true);
    for (let i = 1; i < pts.length; i++) expect(pts[i]!.step).toBeGreaterThan(pts[i - 1]!.step);
    expect(pts[0]!.step).toBe(1);
    expect(Math.min(...pts.map((p) => p.raw))).toBeCloseTo(Math.min(...losses), 4);
  });

  it('never hides a NaN loss', () => {
    const losses = Array.from({ length: 5000 }, () => 1);
    losses[4000] = NaN;
    const m = appendMetrics(emptyMetrics(), batch(1, losses));
    expect(downsampleLoss(m, 100).some((p) => Number.isNaN(p.raw))).toBe(true);
  });
});

describe('strideIndices', () => {
  it('keeps all indices when they fit and the newest when they do not', () => {
    expect(strideIndices(3, 5)).toEqual([0, 1, 2]);
    const idx = strideIndices(2500, 1000);
    expect(idx.length).toBeLessThanOrEqual(1000);
    expect(idx[idx.length - 1]).toBe(2499);
    expect(strideIndices(0)).toEqual([]);
  });
});

describe('lossRows', () => {
  it('merges validation perplexity into the loss rows by step and drops non-finite values', () => {
    const m = appendMetrics(emptyMetrics(), batch(1, [5, NaN, 3]));
    const rows = lossRows(m, { step: [2, 10], perplexity: [100, 80] });
    expect(rows.map((r) => r.step)).toEqual([1, 2, 3, 10]);
    expect(rows[1]).toEqual({ step: 2, flops: 20, ema: expect.any(Number) as number, val: 100 });
    // Step 10 has no metrics yet: its FLOPs are not known.
    expect(rows[3]).toEqual({ step: 10, val: 80 });
  });

  it('takes the smoothed values given (the chart’s slider) and gives a validation at step 0 no FLOPs spent', () => {
    const m = appendMetrics(emptyMetrics(), batch(1, [5, 4, 3]));
    const rows = lossRows(m, { step: [0, 3], perplexity: [90, 70] }, 1000, [50, 40, 30]);
    expect(rows).toEqual([
      { step: 0, flops: 0, val: 90 },
      { step: 1, flops: 10, raw: 5, ema: 50 },
      { step: 2, flops: 20, raw: 4, ema: 40 },
      { step: 3, flops: 30, raw: 3, ema: 30, val: 70 },
    ]);
  });
});
