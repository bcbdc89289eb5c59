import * as tf from '@tensorflow/tfjs';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { Rng } from './rng';

/*
 * What every module kind's fast mNTK shares (docs/method.md, "The kernel" and "λmax, spectrum
 * and effective rank"): the scalar functions whose per-sample gradients define the kernel, the
 * tensors the probe objective reads, and the eigen-analysis of a kernel.
 */

/** Outputs up to this count get the exact trace kernel (one backward pass per output). */
export const EXACT_OUTPUTS_MAX = 16;

/**
 * The probe: n fixed samples and the scalar functions s_r whose per-sample gradients define
 * the kernel, Θ_m = w · Σ_r G_r G_rᵀ with G_r[i] = ∂s_r(x_i)/∂θ_m.
 *
 * - trace kernel, k ≤ 16 outputs: s_r = f_r (one-hot projections), w = 1/k — exactly
 *   Θ = (1/k) Σ_c ⟨∂f_c(x_i)/∂θ, ∂f_c(x_j)/∂θ⟩.
 * - trace kernel, k > 16: s_r = v_r · f with Rademacher v_r (R of them), w = 1/(R·k) —
 *   unbiased, since E[v vᵀ] = I.
 * - loss kernel: s = ℓ(x_i), the sample's mean cross-entropy over its masked positions; w = 1.
 * For MLM, f(x_i) ∈ R^k are the logits at the sample's M masked positions, k = M·V.
 */
export interface ProbeProjections {
  kernel: 'trace' | 'loss';
  /** k, the output count per sample. */
  outputs: number;
  /** Number of scalar functions s_r (R' in the docs). */
  numProjections: number;
  exact: boolean;
  /** Row-major [R', k]; empty for the loss kernel. */
  projections: Float32Array;
  weight: number;
}

/**
 * The scalar functions for k outputs per sample: the loss (w = 1), one-hot projections for
 * k ≤ 16 (exact, w = 1/k), else R Rademacher projections (w = 1/(R·k)), drawn from `rng` in
 * row-major order.
 */
export function probeProjections(
  k: number,
  kernel: 'trace' | 'loss',
  R: number,
  rng: Rng,
): ProbeProjections {
  if (kernel === 'loss') {
    const none = new Float32Array(0);
    return { kernel, outputs: k, numProjections: 1, exact: true, projections: none, weight: 1 };
  }
  if (k <= EXACT_OUTPUTS_MAX) {
    const p = new Float32Array(k * k);
    for (let c = 0; c < k; c++) p[c * k + c] = 1;
    return { kernel, outputs: k, numProjections: k, exact: true, projections: p, weight: 1 / k };
  }
  const p = new Float32Array(R * k);
  for (let i = 0; i < p.length; i++) p[i] = rng.next() < 0.5 ? -1 : 1;
  return {
    kernel,
    outputs: k,
    numProjections: R,
    exact: false,
    projections: p,
    weight: 1 / (R * k),
  };
}

/**
 * What the probe objective reads, built once and kept: the replicated targets one-hot
 * ([rows, classes], loss kernel) or the projections ([R', 1, k], trace kernel); the other null.
 */
export function objectiveTensors(
  probe: ProbeProjections,
  targets: Int32Array,
  classes: number,
): { oneHot: tf.Tensor2D | null; projections: tf.Tensor3D | null } {
  return {
    oneHot:
      probe.kernel === 'loss'
        ? tf.keep(
            tf.tidy(
              () => tf.oneHot(tf.tensor1d(targets, 'int32'), classes).toFloat() as tf.Tensor2D,
            ),
          )
        : null,
    projections:
      probe.kernel === 'trace'
        ? tf.keep(tf.tensor3d(probe.projections, [probe.numProjections, 1, probe.outputs]))
        : null,
  };
}

/** Eigen-analysis of one symmetric PSD kernel. */
export interface Spectrum {
  /** Eigenvalues, descending. */
  values: Float64Array;
  lambdaMax: number;
  /** exp(−Σ p_i ln p_i), p_i = max(λ_i, 0) / Σ max(λ, 0): how many directions carry the kernel. */
  effRank: number;
}

/** Dense symmetric eigen-decomposition (ml-matrix); the matrix is symmetrised first. */
export function spectrum(kernel: ArrayLike<number>, n: number, offset = 0): Spectrum {
  const m = new Matrix(n, n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const a = kernel[offset + i * n + j]!;
      const b = kernel[offset + j * n + i]!;
      m.set(i, j, 0.5 * (a + b));
    }
  }
  const evd = new EigenvalueDecomposition(m, { assumeSymmetric: true });
  const values = Float64Array.from(evd.realEigenvalues).sort().reverse();
  let total = 0;
  for (const v of values) total += Math.max(v, 0);
  let entropy = 0;
  if (total > 0) {
    for (const v of values) {
      const p = Math.max(v, 0) / total;
      if (p > 0) entropy -= p * Math.log(p);
    }
  }
  return { values, lambdaMax: values[0] ?? 0, effRank: total > 0 ? Math.exp(entropy) : 0 };
}
