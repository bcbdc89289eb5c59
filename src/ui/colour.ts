/** The λmax colour scale: logarithmic (λmax spans decades across heads and over training), viridis. */
import { scaleSequentialLog } from 'd3-scale';
import { interpolateViridis } from 'd3-scale-chromatic';

/** Colour of a value the log scale cannot place (≤ 0, NaN, ±∞). */
export const NO_VALUE_COLOUR = '#c7cbd1';

export interface LambdaScale {
  /** Smallest and largest positive finite value shown; null when there is none. */
  domain: [number, number] | null;
  colour(v: number): string;
}

/** Smallest and largest positive finite entries over the given arrays; null when there is none. */
export function positiveRange(arrays: Iterable<ArrayLike<number>>): [number, number] | null {
  let lo = Infinity;
  let hi = -Infinity;
  for (const a of arrays) {
    for (let i = 0; i < a.length; i++) {
      const v = a[i] ?? NaN;
      if (!(v > 0) || !Number.isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
  }
  return lo <= hi ? [lo, hi] : null;
}

/**
 * A log colour scale over `range` (widened by 10 % each side when it is a single value); values
 * it cannot place get `noValue` (the theme's).
 */
export function lambdaScale(
  range: [number, number] | null,
  noValue: string = NO_VALUE_COLOUR,
): LambdaScale {
  if (!range) return { domain: null, colour: () => noValue };
  const [lo, hi] = range[0] === range[1] ? [range[0] / 1.1, range[1] * 1.1] : range;
  const scale = scaleSequentialLog(interpolateViridis).domain([lo, hi]).clamp(true);
  return {
    domain: [lo, hi],
    colour: (v) => (v > 0 && Number.isFinite(v) ? scale(v) : noValue),
  };
}

/** `count` values spaced evenly in log space from lo to hi (legend ticks and gradient stops). */
export function logTicks(lo: number, hi: number, count: number): number[] {
  if (count < 2 || !(lo > 0) || !(hi > 0)) return [lo, hi];
  const a = Math.log(lo);
  const b = Math.log(hi);
  return Array.from({ length: count }, (_, i) => Math.exp(a + ((b - a) * i) / (count - 1)));
}
