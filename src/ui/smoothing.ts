/**
 * TensorBoard's scalar smoothing (its "classic" smoothing, `data_transformer.ts` in the
 * TensorBoard web app): an exponential moving average debiased by the weight of its start, so
 * the first points are not pulled towards 0. With weight w and the finite values x₁, x₂, … so
 * far, m_t = w·m_{t−1} + (1 − w)·x_t (m_0 = 0) is shown as m_t / (1 − w^c), c the count of
 * finite values up to t. A non-finite value is shown as it is and does not enter the average; a
 * constant series is shown unsmoothed (as TensorBoard does).
 */

/** The slider's range, as TensorBoard's (0: raw; the default here is the lab's 0.9). */
export const SMOOTHING_MIN = 0;
export const SMOOTHING_MAX = 0.999;

/** The smoothed values of `values` with weight `weight` (clamped to [0, 1]; NaN counts as 0). */
export function smoothTensorBoard(values: ArrayLike<number>, weight: number): Float64Array {
  const n = values.length;
  const out = new Float64Array(n);
  const w = Number.isFinite(weight) ? Math.min(1, Math.max(0, weight)) : 0;
  let constant = true;
  for (let i = 1; i < n && constant; i++) constant = values[i] === values[0];
  let last = 0;
  let count = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i] ?? NaN;
    if (constant || !Number.isFinite(x)) {
      out[i] = x;
      continue;
    }
    last = last * w + (1 - w) * x;
    count++;
    const debias = w === 1 ? 1 : 1 - w ** count;
    out[i] = last / debias;
  }
  return out;
}
