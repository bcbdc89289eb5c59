import { describe, expect, it } from 'vitest';
import type { RunCurve } from '../store/runs-slice';
import { metricAtEqualFlops, valueAtFlops } from './compare-text';

const curve = (pts: [step: number, flops: number, value: number][]): RunCurve => ({
  step: pts.map((p) => p[0]),
  flops: pts.map((p) => p[1]),
  value: pts.map((p) => p[2]),
});

describe('the metric at equal FLOPs', () => {
  const mat = curve([
    [0, 0, 8],
    [50, 100, 6],
    [100, 180, 4],
  ]);
  const vanilla = curve([
    [0, 0, 8],
    [50, 150, 5],
    [100, 300, 3],
  ]);

  it('interpolates linearly between the points around, exact on a point, none outside', () => {
    expect(valueAtFlops(vanilla, 150)).toBe(5);
    // 180 FLOPs: 30 of the 150 between vanilla's points at 150 (5) and 300 (3).
    expect(valueAtFlops(vanilla, 180)).toBeCloseTo(5 - (2 * 30) / 150, 12);
    expect(valueAtFlops(mat, 50)).toBeCloseTo(7, 12);
    expect(valueAtFlops(mat, 181)).toBeNull();
    expect(valueAtFlops(curve([]), 0)).toBeNull();
  });

  it('compares at the larger FLOPs both reached, interpolating the arm that went further', () => {
    const r = metricAtEqualFlops(mat, vanilla);
    expect(r).not.toBeNull();
    expect(r!.flops).toBe(180);
    expect(r!.a).toBe(4);
    expect(r!.b).toBeCloseTo(4.6, 12);
    expect(r!.interpolated).toBe('b');
    const swapped = metricAtEqualFlops(vanilla, mat)!;
    expect([swapped.a, swapped.b, swapped.interpolated]).toEqual([r!.b, r!.a, 'a']);
  });

  it('leaves out non-finite points and says nothing before a validation past step 0', () => {
    const withNaN = curve([
      [0, 0, 8],
      [50, 100, NaN],
      [100, 200, 4],
    ]);
    expect(valueAtFlops(withNaN, 100)).toBeCloseTo(6, 12);
    expect(metricAtEqualFlops(curve([[0, 0, 8]]), vanilla)).toBeNull();
    expect(metricAtEqualFlops(mat, curve([]))).toBeNull();
  });
});
