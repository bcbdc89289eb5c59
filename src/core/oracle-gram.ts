/**
 * The oracles' shared CPU side: flatten a module's per-variable gradients into one row, and
 * Θ_m = w Σ_r G_r G_rᵀ in float64 from rows[m][r][i] = ∂s_r(x_i)/∂θ_m. Kept apart from every
 * fast path on purpose: no TF.js, no batching, plain dot products.
 */
export function flattenRow(parts: ArrayLike<number>[]): Float64Array {
  const row = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    row.set(p, off);
    off += p.length;
  }
  return row;
}

/** [modules, n, n] row-major. */
export function oracleGrams(rows: Float64Array[][][], n: number, weight: number): Float64Array {
  const mods = rows.length;
  const out = new Float64Array(mods * n * n);
  for (let m = 0; m < mods; m++) {
    for (const G of rows[m]!) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < n; j++) {
          const a = G[i]!;
          const b = G[j]!;
          let dot = 0;
          for (let p = 0; p < a.length; p++) dot += a[p]! * b[p]!;
          const idx = m * n * n + i * n + j;
          out[idx] = out[idx]! + weight * dot;
        }
      }
    }
  }
  return out;
}
