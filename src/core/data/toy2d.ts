import type { Rng } from '../rng';

/**
 * The classroom data sets of the MLP (TensorFlow Playground style), generated from the run's
 * rng. Coordinates are roughly in [−1, 1]² (Playground draws in [−6, 6]²; every shape here is
 * Playground's divided by its scale, so a noise level means the same fraction of the picture).
 */
export type Toy2dName = 'spiral' | 'circles' | 'xor' | 'blobs' | 'moons';

export const TOY2D_NAMES: readonly Toy2dName[] = ['spiral', 'circles', 'xor', 'blobs', 'moons'];

export interface Toy2dOptions {
  /** Points in total, train and test together; split evenly across classes. */
  count: number;
  /**
   * Standard deviation of the Gaussian added independently to each coordinate of every point
   * after its class is fixed (so noise makes classes overlap; labels are never flipped).
   */
  noise: number;
  /** Fraction of the points held out as the test set, in [0, 1); rounded to whole points. */
  testRatio: number;
  /** Number of blobs for `blobs` (2 … 8, default 3); every other set has exactly 2 classes. */
  classes?: number;
}

/** Points and labels; `x` is row-major [N, 2] (x, y), `y` the class of each point, [N]. */
export interface Toy2dSplit {
  x: Float32Array;
  y: Int32Array;
}

export interface Toy2dData {
  train: Toy2dSplit;
  test: Toy2dSplit;
  classes: number;
}

export class Toy2dOptionsError extends RangeError {
  override name = 'Toy2dOptionsError';
}

/** Radii of the `circles` rings at noise 0: class 0 is the inner ring, class 1 the outer. */
export const CIRCLE_RADII = [0.4, 0.85] as const;
/** Standard deviation of each blob around its centre at noise 0 (noise adds to it). */
export const BLOB_STD = 0.12;
/** Distance of the blob centres from the origin. */
export const BLOB_RADIUS = 0.55;
/**
 * Gap kept around the axes in `xor`: |x|, |y| ∈ [XOR_PAD, 1] (Playground's padding 0.3 on its
 * scale of 5), so at noise 0 no point sits on a class boundary.
 */
export const XOR_PAD = 0.06;
/** Turns of each `spiral` arm: the angle grows to 1.75 · 2π (Playground's). */
export const SPIRAL_TURNS = 1.75;

const DEFAULT_BLOBS = 3;
const MAX_BLOBS = 8;

/** A noise-free point of class `c`; `i` of `m` is its index within the class. */
type Shape = (c: number, i: number, m: number, classes: number, rng: Rng) => [number, number];

const shapes: Record<Toy2dName, Shape> = {
  // Playground's two interleaved arms, radius r = i/m ∈ [0, 1), angle 1.75·2π·r (+π for the
  // second arm); points evenly spaced along each arm, as in Playground.
  spiral: (c, i, m) => {
    const r = i / m;
    const t = SPIRAL_TURNS * 2 * Math.PI * r + c * Math.PI;
    return [r * Math.sin(t), r * Math.cos(t)];
  },
  // Two concentric rings, angle uniform.
  circles: (c, _i, _m, _k, rng) => {
    const r = CIRCLE_RADII[c === 0 ? 0 : 1];
    const t = 2 * Math.PI * rng.next();
    return [r * Math.cos(t), r * Math.sin(t)];
  },
  // Class 0 in quadrants I and III (x·y > 0), class 1 in II and IV; uniform within a quadrant
  // minus the padding.
  xor: (c, _i, _m, _k, rng) => {
    const sx = rng.next() < 0.5 ? 1 : -1;
    const sy = c === 0 ? sx : -sx;
    const ax = XOR_PAD + (1 - XOR_PAD) * rng.next();
    const ay = XOR_PAD + (1 - XOR_PAD) * rng.next();
    return [sx * ax, sy * ay];
  },
  // K isotropic Gaussians with centres evenly spaced on a circle, class 0 at the top.
  blobs: (c, _i, _m, k, rng) => {
    const a = Math.PI / 2 + (2 * Math.PI * c) / k;
    return [
      BLOB_RADIUS * Math.cos(a) + BLOB_STD * rng.normal(),
      BLOB_RADIUS * Math.sin(a) + BLOB_STD * rng.normal(),
    ];
  },
  // scikit-learn's two half-moons, (cos t, sin t) and (1 − cos t, ½ − sin t), t ∈ [0, π]
  // uniform, shifted by (−½, −¼) and divided by 1.5 so x ∈ [−1, 1], y ∈ [−½, ½].
  moons: (c, _i, _m, _k, rng) => {
    const t = Math.PI * rng.next();
    const [x, y] = c === 0 ? [Math.cos(t), Math.sin(t)] : [1 - Math.cos(t), 0.5 - Math.sin(t)];
    return [(x - 0.5) / 1.5, (y - 0.25) / 1.5];
  },
};

/** Number of classes `name` will have under `classes` (validated). */
export function toy2dClasses(name: Toy2dName, classes?: number): number {
  if (name !== 'blobs') {
    if (classes !== undefined && classes !== 2) {
      throw new Toy2dOptionsError(`The ${name} data set has 2 classes, not ${classes}.`);
    }
    return 2;
  }
  const k = classes ?? DEFAULT_BLOBS;
  if (!Number.isInteger(k) || k < 2 || k > MAX_BLOBS) {
    throw new Toy2dOptionsError(
      `Blobs need a whole number of classes from 2 to ${MAX_BLOBS}, got ${k}.`,
    );
  }
  return k;
}

/**
 * Draws `count` points of the named set: classes of equal size (the first `count mod K` classes
 * get one extra point), each point its class's noise-free shape plus N(0, noise²) per
 * coordinate, shuffled (Fisher–Yates), then the first round(count · testRatio) points become
 * the test set. Every draw comes from `rng`, so the same rng state gives the same data.
 */
export function generateToy2d(name: Toy2dName, options: Toy2dOptions, rng: Rng): Toy2dData {
  const { count, noise, testRatio } = options;
  const K = toy2dClasses(name, options.classes);
  if (!Number.isInteger(count) || count < K) {
    throw new Toy2dOptionsError(
      `Need a whole number of points, at least one per class (${K}), got ${count}.`,
    );
  }
  if (!Number.isFinite(noise) || noise < 0) {
    throw new Toy2dOptionsError(`Noise is a standard deviation and must be ≥ 0, got ${noise}.`);
  }
  if (!(testRatio >= 0 && testRatio < 1)) {
    throw new Toy2dOptionsError(`The test ratio must be in [0, 1), got ${testRatio}.`);
  }
  const shape = shapes[name];
  const xs = new Float32Array(2 * count);
  const ys = new Int32Array(count);
  let p = 0;
  for (let c = 0; c < K; c++) {
    const m = Math.floor(count / K) + (c < count % K ? 1 : 0);
    for (let i = 0; i < m; i++) {
      const [x, y] = shape(c, i, m, K, rng);
      xs[2 * p] = noise > 0 ? x + noise * rng.normal() : x;
      xs[2 * p + 1] = noise > 0 ? y + noise * rng.normal() : y;
      ys[p] = c;
      p++;
    }
  }
  const order = Array.from({ length: count }, (_, i) => i);
  for (let i = count - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  const nTest = Math.round(count * testRatio);
  const take = (from: number, to: number): Toy2dSplit => {
    const x = new Float32Array(2 * (to - from));
    const y = new Int32Array(to - from);
    for (let k = from; k < to; k++) {
      const src = order[k]!;
      x[2 * (k - from)] = xs[2 * src]!;
      x[2 * (k - from) + 1] = xs[2 * src + 1]!;
      y[k - from] = ys[src]!;
    }
    return { x, y };
  };
  return { test: take(0, nTest), train: take(nTest, count), classes: K };
}
