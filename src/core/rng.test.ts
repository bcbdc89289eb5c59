import { describe, expect, it } from 'vitest';
import { createRng } from './rng';
import type { Rng } from './rng';

const draw = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.next());

function moments(xs: readonly number[]): { mean: number; variance: number } {
  const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
  const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
  return { mean, variance };
}

/** Pearson correlation; for independent streams it is ≈ N(0, 1/N), so 5σ = 5/√N. */
function correlation(a: readonly number[], b: readonly number[]): number {
  const ma = moments(a);
  const mb = moments(b);
  let s = 0;
  for (let i = 0; i < a.length; i++) s += (a[i]! - ma.mean) * (b[i]! - mb.mean);
  return s / a.length / Math.sqrt(ma.variance * mb.variance);
}

const N = 200_000;

describe('createRng', () => {
  it('is deterministic for equal seeds and differs across seeds', () => {
    expect(draw(createRng(42), 100)).toEqual(draw(createRng(42), 100));
    const seeds = [0, 1, 2, 2 ** 32, 2 ** 32 + 1, -1, 2 ** 40, Number.MAX_SAFE_INTEGER];
    const firsts = seeds.map((s) => draw(createRng(s), 4).join());
    expect(new Set(firsts).size).toBe(seeds.length);
  });

  it('rejects seeds that are not safe integers', () => {
    expect(() => createRng(0.5)).toThrow(RangeError);
    expect(() => createRng(Number.NaN)).toThrow(RangeError);
    expect(() => createRng(2 ** 60)).toThrow(RangeError);
  });

  it('decorrelates adjacent seeds', () => {
    const n = 20_000;
    expect(Math.abs(correlation(draw(createRng(7), n), draw(createRng(8), n)))).toBeLessThan(
      5 / Math.sqrt(n),
    );
  });
});

describe('fork', () => {
  it('does not consume or alter the parent stream', () => {
    const a = createRng(9);
    const b = createRng(9);
    a.next();
    b.next();
    draw(a.fork('probe'), 10);
    a.fork('other');
    expect(draw(a, 50)).toEqual(draw(b, 50));
  });

  it('is deterministic per label, seed and fork path', () => {
    const rng = createRng(3);
    expect(draw(rng.fork('data'), 20)).toEqual(draw(createRng(3).fork('data'), 20));
    const streams = [
      rng.fork('data'),
      rng.fork('init'),
      rng.fork(''),
      rng.fork('data').fork('init'),
      rng.fork('init').fork('data'),
      createRng(4).fork('data'),
      rng,
    ].map((r) => draw(r, 4).join());
    expect(new Set(streams).size).toBe(streams.length);
  });

  it('gives streams uncorrelated with each other and with the parent', () => {
    const n = 50_000;
    const bound = 5 / Math.sqrt(n);
    const parent = createRng(11);
    const a = draw(parent.fork('a'), n);
    const b = draw(parent.fork('b'), n);
    const p = draw(parent, n);
    expect(Math.abs(correlation(a, b))).toBeLessThan(bound);
    expect(Math.abs(correlation(a, p))).toBeLessThan(bound);
    expect(Math.abs(correlation(b, p))).toBeLessThan(bound);
  });
});

describe('distributions', () => {
  it('next() is uniform on [0, 1): mean 1/2, variance 1/12 within 5σ', () => {
    const xs = draw(createRng(1), N);
    expect(xs.every((x) => x >= 0 && x < 1)).toBe(true);
    const { mean, variance } = moments(xs);
    // Var(U) = 1/12, so the sample mean has sd √(1/12/N); Var((U−½)²) = 1/80 − 1/144 = 1/180.
    expect(Math.abs(mean - 0.5)).toBeLessThan(5 * Math.sqrt(1 / 12 / N));
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(5 * Math.sqrt(1 / 180 / N));
  });

  it('int(n) covers 0 … n−1 with per-bin counts within 5σ of N/n', () => {
    const rng = createRng(2);
    const n = 7;
    const bins = new Array<number>(n).fill(0);
    for (let i = 0; i < N; i++) {
      bins[rng.int(n)]!++;
    }
    expect(bins.reduce((s, c) => s + c, 0)).toBe(N);
    const p = 1 / n;
    for (const c of bins) expect(Math.abs(c - N * p)).toBeLessThan(5 * Math.sqrt(N * p * (1 - p)));
    expect(rng.int(1)).toBe(0);
    const big = rng.int(2 ** 32);
    expect(big).toBeGreaterThanOrEqual(0);
    expect(big).toBeLessThan(2 ** 32);
    for (const bad of [0, -1, 2.5, 2 ** 32 + 1, Number.NaN])
      expect(() => rng.int(bad)).toThrow(RangeError);
  });

  it('normal() has mean 0 and variance 1 within 5σ', () => {
    const rng = createRng(5);
    const zs = Array.from({ length: N }, () => rng.normal());
    const { mean, variance } = moments(zs);
    // Var(Z) = 1 and Var(Z²) = 2 for a standard normal.
    expect(Math.abs(mean)).toBeLessThan(5 * Math.sqrt(1 / N));
    expect(Math.abs(variance - 1)).toBeLessThan(5 * Math.sqrt(2 / N));
    expect(zs.every(Number.isFinite)).toBe(true);
    const tail = zs.filter((z) => Math.abs(z) > 1.96).length / N;
    // P(|Z| > 1.96) = 0.05; binomial sd √(0.05·0.95/N).
    expect(Math.abs(tail - 0.05)).toBeLessThan(5 * Math.sqrt((0.05 * 0.95) / N));
  });
});
