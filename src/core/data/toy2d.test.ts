import { describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import type { Toy2dData, Toy2dName } from './toy2d';
import {
  BLOB_RADIUS,
  BLOB_STD,
  CIRCLE_RADII,
  SPIRAL_TURNS,
  TOY2D_NAMES,
  Toy2dOptionsError,
  XOR_PAD,
  generateToy2d,
} from './toy2d';

const opts = { count: 200, noise: 0.1, testRatio: 0.25 };

/** Every point of both splits as [x, y, label]. */
function points(d: Toy2dData): [number, number, number][] {
  const out: [number, number, number][] = [];
  for (const s of [d.train, d.test]) {
    for (let i = 0; i < s.y.length; i++) out.push([s.x[2 * i]!, s.x[2 * i + 1]!, s.y[i]!]);
  }
  return out;
}

describe('generateToy2d', () => {
  for (const name of TOY2D_NAMES) {
    it(`${name}: shapes, labels, balance, split, range`, () => {
      const d = generateToy2d(name, opts, createRng(1));
      expect(d.classes).toBe(name === 'blobs' ? 3 : 2);
      expect(d.test.y.length).toBe(50);
      expect(d.train.y.length).toBe(150);
      expect(d.train.x.length).toBe(2 * 150);
      expect(d.test.x.length).toBe(2 * 50);
      const counts = new Array<number>(d.classes).fill(0);
      for (const [x, y, c] of points(d)) {
        expect(Number.isInteger(c) && c >= 0 && c < d.classes).toBe(true);
        counts[c]!++;
        // Roughly [−1, 1]²: noise 0.1 moves a point by > 0.5 with probability ≈ 6e-7.
        expect(Math.abs(x)).toBeLessThan(1.5);
        expect(Math.abs(y)).toBeLessThan(1.5);
      }
      // 200 points over K classes: sizes differ by at most one.
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
      expect(counts.reduce((a, b) => a + b, 0)).toBe(200);
    });
  }

  it('is deterministic in the rng and changes with the seed', () => {
    for (const name of TOY2D_NAMES) {
      const a = generateToy2d(name, opts, createRng(42));
      const b = generateToy2d(name, opts, createRng(42));
      const c = generateToy2d(name, opts, createRng(43));
      expect(Array.from(a.train.x)).toEqual(Array.from(b.train.x));
      expect(Array.from(a.test.y)).toEqual(Array.from(b.test.y));
      expect(Array.from(a.train.x)).not.toEqual(Array.from(c.train.x));
    }
  });

  it('shuffles: labels are not sorted by class', () => {
    const d = generateToy2d('moons', { count: 100, noise: 0, testRatio: 0 }, createRng(3));
    let changes = 0;
    for (let i = 1; i < 100; i++) if (d.train.y[i] !== d.train.y[i - 1]) changes++;
    // Sorted labels change once; a random order of 50 + 50 changes ≈ 50 times.
    expect(changes).toBeGreaterThan(20);
  });

  it('splits by testRatio, rounding to whole points', () => {
    const sizes = (n: number, r: number) => {
      const d = generateToy2d('xor', { count: n, noise: 0, testRatio: r }, createRng(5));
      return [d.train.y.length, d.test.y.length];
    };
    expect(sizes(100, 0)).toEqual([100, 0]);
    expect(sizes(100, 0.5)).toEqual([50, 50]);
    expect(sizes(101, 0.3)).toEqual([71, 30]);
    expect(sizes(7, 0.9)).toEqual([1, 6]);
  });

  it('circles at noise 0 lie exactly on their rings', () => {
    const d = generateToy2d('circles', { count: 300, noise: 0, testRatio: 0.2 }, createRng(9));
    for (const [x, y, c] of points(d))
      expect(Math.hypot(x, y)).toBeCloseTo(CIRCLE_RADII[c as 0 | 1], 5);
  });

  it('xor at noise 0 keeps its quadrants and the padding', () => {
    const d = generateToy2d('xor', { count: 300, noise: 0, testRatio: 0.2 }, createRng(2));
    for (const [x, y, c] of points(d)) {
      expect(x * y > 0 ? 0 : 1).toBe(c);
      expect(Math.min(Math.abs(x), Math.abs(y))).toBeGreaterThanOrEqual(XOR_PAD - 1e-6);
      expect(Math.max(Math.abs(x), Math.abs(y))).toBeLessThanOrEqual(1 + 1e-6);
    }
  });

  it('spiral at noise 0 lies on its arm (Playground’s r, θ = 1.75·2π·r + cπ)', () => {
    const d = generateToy2d('spiral', { count: 200, noise: 0, testRatio: 0 }, createRng(4));
    for (const [x, y, c] of points(d)) {
      const r = Math.hypot(x, y);
      expect(r).toBeLessThan(1);
      const t = SPIRAL_TURNS * 2 * Math.PI * r + c * Math.PI;
      expect(x).toBeCloseTo(r * Math.sin(t), 4);
      expect(y).toBeCloseTo(r * Math.cos(t), 4);
    }
  });

  it('moons at noise 0 lie on their half-circles', () => {
    const d = generateToy2d('moons', { count: 200, noise: 0, testRatio: 0 }, createRng(8));
    for (const [x, y, c] of points(d)) {
      // Undo the scaling back to scikit-learn's coordinates.
      const u = 1.5 * x + 0.5;
      const v = 1.5 * y + 0.25;
      if (c === 0) {
        expect(Math.hypot(u, v)).toBeCloseTo(1, 4);
        expect(v).toBeGreaterThanOrEqual(-1e-6);
      } else {
        expect(Math.hypot(u - 1, v - 0.5)).toBeCloseTo(1, 4);
        expect(v).toBeLessThanOrEqual(0.5 + 1e-6);
      }
    }
  });

  it('blobs: 3 by default, 4 on request, each centred where it should be', () => {
    const d = generateToy2d(
      'blobs',
      { count: 400, noise: 0, testRatio: 0, classes: 4 },
      createRng(6),
    );
    expect(d.classes).toBe(4);
    const sum = Array.from({ length: 4 }, () => [0, 0, 0]);
    for (const [x, y, c] of points(d)) {
      sum[c]![0]! += x;
      sum[c]![1]! += y;
      sum[c]![2]! += 1;
    }
    sum.forEach(([sx, sy, m], c) => {
      const a = Math.PI / 2 + (2 * Math.PI * c) / 4;
      // Mean of 100 draws with std 0.12: standard error 0.012, so 0.05 is > 4σ.
      expect(Math.abs(sx! / m! - BLOB_RADIUS * Math.cos(a))).toBeLessThan(0.05);
      expect(Math.abs(sy! / m! - BLOB_RADIUS * Math.sin(a))).toBeLessThan(0.05);
    });
    expect(BLOB_STD).toBeGreaterThan(0);
  });

  it('noise is a Gaussian standard deviation added to each coordinate', () => {
    // Circles: the radial spread around the ring is ≈ noise (tangential noise barely moves r).
    const noise = 0.05;
    const d = generateToy2d('circles', { count: 4000, noise, testRatio: 0 }, createRng(12));
    let s2 = 0;
    for (const [x, y, c] of points(d)) s2 += (Math.hypot(x, y) - CIRCLE_RADII[c as 0 | 1]) ** 2;
    const std = Math.sqrt(s2 / 4000);
    expect(std).toBeGreaterThan(0.9 * noise);
    expect(std).toBeLessThan(1.1 * noise);
  });

  it('refuses bad options with a sentence', () => {
    const bad: [Toy2dName, Parameters<typeof generateToy2d>[1]][] = [
      ['circles', { count: 10, noise: 0, testRatio: 0, classes: 3 }],
      ['blobs', { count: 10, noise: 0, testRatio: 0, classes: 1 }],
      ['blobs', { count: 10, noise: 0, testRatio: 0, classes: 9 }],
      ['xor', { count: 1, noise: 0, testRatio: 0 }],
      ['xor', { count: 10.5, noise: 0, testRatio: 0 }],
      ['xor', { count: 10, noise: -1, testRatio: 0 }],
      ['xor', { count: 10, noise: 0, testRatio: 1 }],
      ['xor', { count: 10, noise: 0, testRatio: Number.NaN }],
    ];
    for (const [name, o] of bad)
      expect(() => generateToy2d(name, o, createRng(1))).toThrow(Toy2dOptionsError);
  });
});
