import { describe, expect, it } from 'vitest';
import { overlayPoints } from './loss-data';
import { smoothTensorBoard } from './smoothing';

/**
 * TensorBoard's debiased EMA in closed form, computed independently of the recursion: at a
 * finite value x_t it is the weighted mean Σ w^(c_t − c_i) x_i / Σ w^(c_t − c_i) over the finite
 * values up to t (c: their running count); non-finite values are shown as they are.
 */
function closedForm(values: number[], w: number): number[] {
  const finite: number[] = [];
  return values.map((x) => {
    if (!Number.isFinite(x)) return x;
    finite.push(x);
    let num = 0;
    let den = 0;
    finite.forEach((xi, i) => {
      const weight = w ** (finite.length - 1 - i);
      num += weight * xi;
      den += weight;
    });
    return num / den;
  });
}

/** A loss-like series: decaying with noise, from a fixed linear congruential generator. */
function series(n: number): number[] {
  let s = 12345;
  const rand = () => ((s = (1103515245 * s + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
  return Array.from({ length: n }, (_, i) => 2 * Math.exp(-i / 80) + 0.3 + 0.2 * rand());
}

describe('smoothTensorBoard', () => {
  it('equals TensorBoard’s debiased EMA in closed form for weights from 0 to 0.999', () => {
    const xs = series(300);
    for (const w of [0, 0.3, 0.6, 0.9, 0.99, 0.999]) {
      const got = smoothTensorBoard(xs, w);
      const want = closedForm(xs, w);
      // Two summation orders of ≤ 300 terms of size ≤ 3: agree to ~1e-15 relative; 1e-12 is loose.
      want.forEach((v, i) => expect(got[i]! / v, `w = ${w}, i = ${i}`).toBeCloseTo(1, 12));
    }
  });

  it('starts at the first value (debiased), follows a step change, and is raw at weight 0', () => {
    const xs = [4, 4.5, 3, 10, 10, 10];
    const got = smoothTensorBoard(xs, 0.6);
    expect(got[0]).toBe(4);
    expect(got[5]!).toBeGreaterThan(got[2]!);
    expect(got[5]!).toBeLessThan(10);
    expect([...smoothTensorBoard(xs, 0)]).toEqual(xs);
  });

  it('shows non-finite values as they are and leaves them out of the average', () => {
    const xs = [1, NaN, 3, Infinity, 5];
    const got = [...smoothTensorBoard(xs, 0.5)];
    expect(got[1]).toBeNaN();
    expect(got[3]).toBe(Infinity);
    const want = closedForm(xs, 0.5);
    for (const i of [0, 2, 4]) expect(got[i]).toBeCloseTo(want[i]!, 12);
    // The value after the gap is the same as if the gap were not there.
    expect(got[4]).toBeCloseTo(smoothTensorBoard([1, 3, 5], 0.5)[2]!, 12);
  });

  it('leaves a constant series as it is, like TensorBoard', () => {
    expect([...smoothTensorBoard([2, 2, 2], 0.9)]).toEqual([2, 2, 2]);
  });
});

describe('overlayPoints', () => {
  it('smooths a kept run’s curve and leaves out what the axes cannot show', () => {
    const curve = { step: [1, 2, 3, 4], flops: [10, NaN, 30, 40], value: [2, -1, 1, 0.5] };
    const smoothed = smoothTensorBoard(curve.value, 0.5);
    expect(overlayPoints(curve, 'v', 0.5)).toEqual(
      curve.step.map((step, i) => ({ step, flops: curve.flops[i], v: smoothed[i] })),
    );
    // A log axis drops values ≤ 0 (after smoothing); a FLOP axis drops unknown FLOPs.
    const log = overlayPoints({ ...curve, value: [2, -9, 1, 0.5] }, 'v', 0, { positiveOnly: true });
    expect(log.map((p) => p.step)).toEqual([1, 3, 4]);
    expect(overlayPoints(curve, 'v', 0, { needFlops: true }).map((p) => p.step)).toEqual([1, 3, 4]);
  });
});
