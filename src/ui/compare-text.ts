/**
 * Live A/B in words: each arm's validation metric at the same cumulative FLOPs (linear
 * interpolation between its validation points), so the page can say "At X FLOPs, MAT's
 * validation perplexity is Y vs vanilla's Z". Pure: no store, no DOM.
 */
import type { RunCurve } from '../store/runs-slice';

/** A curve's points with finite FLOPs and values, by FLOPs (ties: the later step wins). */
function points(c: RunCurve): { x: number; y: number }[] {
  const out: { x: number; y: number }[] = [];
  for (let i = 0; i < c.step.length; i++) {
    const x = c.flops[i];
    const y = c.value[i];
    if (x === undefined || y === undefined || !Number.isFinite(x) || !Number.isFinite(y)) continue;
    out.push({ x, y });
  }
  out.sort((a, b) => a.x - b.x);
  return out;
}

/**
 * The curve's value at `flops`: linear between the two points around it, the point itself when
 * one sits there; null outside the points' FLOPs (no extrapolation) or without points.
 */
export function valueAtFlops(curve: RunCurve, flops: number): number | null {
  const p = points(curve);
  const first = p[0];
  const last = p[p.length - 1];
  if (!first || !last || flops < first.x || flops > last.x) return null;
  let hi = p.findIndex((q) => q.x >= flops);
  // Several points at the same FLOPs: the last of them (the latest measurement).
  while (p[hi + 1]?.x === p[hi]?.x && p[hi]?.x === flops) hi++;
  const b = p[hi]!;
  if (b.x === flops || hi === 0) return b.y;
  const a = p[hi - 1]!;
  return a.y + ((b.y - a.y) * (flops - a.x)) / (b.x - a.x);
}

export interface EqualFlops {
  /** The FLOPs both arms reached (the smaller of their last validated FLOPs). */
  flops: number;
  a: number;
  b: number;
  /** Which arm's value is interpolated (the other arm has a validation there); null: neither. */
  interpolated: 'a' | 'b' | null;
}

/**
 * Both arms' validation metric at the largest FLOPs both reached with a validation: the arm that
 * got there first has a point there; the other's value is interpolated between its two
 * validations around it. Null until both have a validation after step 0 (at 0 FLOPs both arms
 * are the same model).
 */
export function metricAtEqualFlops(a: RunCurve, b: RunCurve): EqualFlops | null {
  const pa = points(a);
  const pb = points(b);
  const lastA = pa[pa.length - 1];
  const lastB = pb[pb.length - 1];
  if (!lastA || !lastB) return null;
  const flops = Math.min(lastA.x, lastB.x);
  if (!(flops > 0)) return null;
  const va = valueAtFlops(a, flops);
  const vb = valueAtFlops(b, flops);
  if (va === null || vb === null) return null;
  const interpolated = lastA.x === lastB.x ? null : lastA.x > lastB.x ? 'a' : 'b';
  return { flops, a: va, b: vb, interpolated };
}
