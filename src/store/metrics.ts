/**
 * Per-step training metrics held as growable typed arrays. Appending never copies the whole
 * run: arrays grow by doubling, and each append returns a new (shallow) buffer object that
 * shares the arrays, so zustand sees a new reference while old buffers stay valid views of
 * their first `length` entries (entries are only ever written past an old `length`).
 */
import type { FlopSplits } from '../core/flops';
import type { MetricsBatch } from '../protocol/messages';

/** Smoothing factor of the displayed loss EMA (TensorBoard's default slider value is 0.6; ours is 0.9). */
export const LOSS_SMOOTHING = 0.9;
/** Most points a chart series is given. */
export const MAX_CHART_POINTS = 1000;

export interface MetricsBuffer {
  /** Number of valid entries. */
  readonly length: number;
  /** Completed steps after each recorded step. */
  readonly steps: Int32Array;
  /** Training loss (mean masked-token cross-entropy) of each step. */
  readonly loss: Float32Array;
  /**
   * Debiased exponential moving average of the loss: m_t = s·m_{t−1} + (1−s)·x_t, shown as
   * m_t / (1 − s^c) with c the number of finite losses so far (non-finite losses are skipped).
   */
  readonly ema: Float32Array;
  /** Cumulative charged training FLOPs of the policy (mNTK included) after each step. */
  readonly flops: Float64Array;
  /** Cumulative FLOPs vanilla would have spent for the same steps. */
  readonly vanillaFlops: Float64Array;
  /** The run's and vanilla's cumulative FLOPs by part at the latest push; null when not known. */
  readonly split: FlopSplits | null;
  /** Biased EMA accumulator m_t and the count c of finite losses behind it. */
  readonly emaAcc: number;
  readonly emaCount: number;
}

const INITIAL_CAPACITY = 1024;

export function emptyMetrics(): MetricsBuffer {
  return {
    length: 0,
    steps: new Int32Array(0),
    loss: new Float32Array(0),
    ema: new Float32Array(0),
    flops: new Float64Array(0),
    vanillaFlops: new Float64Array(0),
    split: null,
    emaAcc: 0,
    emaCount: 0,
  };
}

function grow<T extends Int32Array | Float32Array | Float64Array>(
  a: T,
  length: number,
  capacity: number,
  make: (n: number) => T,
): T {
  if (a.length >= capacity) return a;
  const b = make(capacity);
  b.set(a.subarray(0, length));
  return b;
}

/** The buffer with `batch` appended (a new object; the arrays are reused when they have room). */
export function appendMetrics(
  buf: MetricsBuffer,
  batch: MetricsBatch,
  smoothing = LOSS_SMOOTHING,
): MetricsBuffer {
  const n = batch.steps.length;
  if (n === 0) return buf;
  const need = buf.length + n;
  let cap = Math.max(buf.steps.length, INITIAL_CAPACITY);
  while (cap < need) cap *= 2;
  const steps = grow(buf.steps, buf.length, cap, (k) => new Int32Array(k));
  const loss = grow(buf.loss, buf.length, cap, (k) => new Float32Array(k));
  const ema = grow(buf.ema, buf.length, cap, (k) => new Float32Array(k));
  const flops = grow(buf.flops, buf.length, cap, (k) => new Float64Array(k));
  const vanillaFlops = grow(buf.vanillaFlops, buf.length, cap, (k) => new Float64Array(k));
  let acc = buf.emaAcc;
  let count = buf.emaCount;
  for (let i = 0; i < n; i++) {
    const at = buf.length + i;
    const x = batch.loss[i] ?? NaN;
    steps[at] = batch.steps[i] ?? 0;
    loss[at] = x;
    flops[at] = batch.flops[i] ?? NaN;
    vanillaFlops[at] = batch.vanillaFlops[i] ?? NaN;
    if (Number.isFinite(x)) {
      acc = smoothing * acc + (1 - smoothing) * x;
      count++;
    }
    ema[at] = count > 0 ? acc / (1 - smoothing ** count) : NaN;
  }
  return {
    length: need,
    steps,
    loss,
    ema,
    flops,
    vanillaFlops,
    split: batch.split ?? buf.split,
    emaAcc: acc,
    emaCount: count,
  };
}

/** Plain arrays (e.g. from a run file) as one batch. */
export function batchFromArrays(m: {
  step: number[];
  loss: number[];
  flops: number[];
  vanillaFlops: number[];
}): MetricsBatch {
  return {
    steps: Int32Array.from(m.step),
    loss: Float32Array.from(m.loss),
    flops: Float64Array.from(m.flops),
    vanillaFlops: Float64Array.from(m.vanillaFlops),
    split: null,
  };
}

export interface LossPoint {
  /** Index of the point in the buffer. */
  index: number;
  step: number;
  /** Raw loss at this step. */
  raw: number;
  /** Smoothed loss at this step. */
  ema: number;
}

/**
 * At most `maxPoints` chart points of the loss. Short runs give every step. Longer runs are cut
 * into ⌊maxPoints / 2⌋ buckets of consecutive steps and each bucket gives its lowest and its
 * highest raw loss, in step order (min–max decimation), so spikes stay visible instead of being
 * averaged away; the EMA is taken at the same steps.
 */
export function downsampleLoss(buf: MetricsBuffer, maxPoints = MAX_CHART_POINTS): LossPoint[] {
  const n = buf.length;
  const point = (i: number): LossPoint => ({
    index: i,
    step: buf.steps[i] ?? 0,
    raw: buf.loss[i] ?? NaN,
    ema: buf.ema[i] ?? NaN,
  });
  const out: LossPoint[] = [];
  if (n <= maxPoints) {
    for (let i = 0; i < n; i++) out.push(point(i));
    return out;
  }
  const buckets = Math.max(1, Math.floor(maxPoints / 2));
  for (let b = 0; b < buckets; b++) {
    const lo = Math.floor((b * n) / buckets);
    const hi = Math.floor(((b + 1) * n) / buckets);
    if (hi <= lo) continue;
    let iMin = lo;
    let iMax = lo;
    for (let i = lo; i < hi; i++) {
      const x = buf.loss[i] ?? NaN;
      // NaN losses win both ends so a diverged step is never hidden.
      if (Number.isNaN(x)) {
        iMin = iMax = i;
        break;
      }
      if (x < (buf.loss[iMin] ?? Infinity)) iMin = i;
      if (x > (buf.loss[iMax] ?? -Infinity)) iMax = i;
    }
    if (iMin === iMax) out.push(point(iMin));
    else if (iMin < iMax) out.push(point(iMin), point(iMax));
    else out.push(point(iMax), point(iMin));
  }
  return out;
}

/**
 * Every `stride`-th index of `0 … n−1` so that at most `maxPoints` remain, always keeping the
 * last one (the newest value must be on the chart).
 */
export function strideIndices(n: number, maxPoints = MAX_CHART_POINTS): number[] {
  if (n <= 0) return [];
  if (n <= maxPoints) return Array.from({ length: n }, (_, i) => i);
  const stride = Math.ceil(n / maxPoints);
  const out: number[] = [];
  for (let i = (n - 1) % stride; i < n; i += stride) out.push(i);
  return out;
}
