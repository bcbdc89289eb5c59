/**
 * The oracles' shared parts (docs/method.md, "The oracle and tolerances"): one backward pass per
 * probe sample alone and scalar function s_r to the modules' own variables, each module's
 * gradients flattened into one row, and Θ_m = w Σ_r G_r G_rᵀ in float64 from
 * rows[m][r][i] = ∂s_r(x_i)/∂θ_m. Kept apart from every fast path on purpose: no taps, no
 * batching over samples, and the Grams as plain dot products on the CPU side.
 */
import * as tf from '@tensorflow/tfjs';
import type { LabModel } from './families/model';

/** One probe sample alone (a batch of one), its tensors built once for all its s_r. */
export interface OracleSample {
  /** s_r of the sample, built inside the gradient's scope. */
  objective(r: number): tf.Scalar;
  /** Releases the sample's tensors. */
  dispose(): void;
}

/**
 * The brute-force kernels of `model`'s modules over n probe samples (`sample(i)`) and the
 * probe's R' scalar functions with weight w: for every sample and s_r one tf.variableGrads to
 * every module's variables, flattened per module into the row G_r[i]; then the Grams. Returns
 * [modules, n, n] row-major (float64).
 */
export function perSampleOracle(
  model: Pick<LabModel, 'modules' | 'moduleVariables'>,
  n: number,
  probe: { numProjections: number; weight: number },
  sample: (i: number) => OracleSample,
): Float64Array {
  const Rp = probe.numProjections;
  // rows[m][r][i] = flattened gradient of s_r(x_i) w.r.t. module m's parameters
  const rows: Float64Array[][][] = model.modules.map(() =>
    Array.from({ length: Rp }, () => new Array<Float64Array>(n)),
  );
  const moduleVars = model.modules.map((_, m) => model.moduleVariables(m));
  const varList = moduleVars.flat();
  for (let i = 0; i < n; i++) {
    const s = sample(i);
    for (let r = 0; r < Rp; r++) {
      const { value, grads } = tf.variableGrads(() => s.objective(r), varList);
      value.dispose();
      moduleVars.forEach((vars, m) => {
        rows[m]![r]![i] = flattenRow(vars.map((v) => grads[v.name]!.dataSync()));
      });
      for (const g of Object.values(grads)) g.dispose();
    }
    s.dispose();
  }
  return oracleGrams(rows, n, probe.weight);
}

/** A module's per-variable gradients as one row. */
function flattenRow(parts: ArrayLike<number>[]): Float64Array {
  const row = new Float64Array(parts.reduce((a, p) => a + p.length, 0));
  let off = 0;
  for (const p of parts) {
    row.set(p, off);
    off += p.length;
  }
  return row;
}

/** [modules, n, n] row-major. */
function oracleGrams(rows: Float64Array[][][], n: number, weight: number): Float64Array {
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
