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

/**
 * What the modules' spectra are computed from: module m's n × n kernel Θ_m = Ĝ_m Ĝ_mᵀ, or,
 * where it is smaller, the q × q matrix Ĝ_mᵀ Ĝ_m (Ĝ_m [n, q]: the per-sample gradients, one
 * row per sample, √w-scaled), whose eigenvalues are Θ_m's nonzero ones; Θ_m's other n − q
 * eigenvalues are 0 (docs/method.md, "λmax, spectrum and effective rank").
 */
export interface SpectrumInput {
  /** The matrices back to back in module order, each row-major. */
  data: Float32Array;
  /** Side of module m's matrix: n for Θ_m itself, q < n for Ĝ_mᵀĜ_m. */
  sides: readonly number[];
  /**
   * With the projected trace kernel (R' ≥ 2 random projections, n × n matrices only): the R'
   * single-projection terms w·G_r G_rᵀ of every module, [modules, R', n, n] row-major, whose sum
   * over r is `data` — what the estimator's standard error is taken from (`moduleSpectra`).
   */
  projections?: { count: number; data: Float32Array };
}

/** n × n kernels [modules, n, n] as a `SpectrumInput`. */
export function kernelInput(kernels: Float32Array, n: number): SpectrumInput {
  return { data: kernels, sides: new Array<number>(kernels.length / (n * n)).fill(n) };
}

/**
 * Every module's spectrum from `input`: n eigenvalues each (a q × q matrix's q, then n − q
 * zeros), λmax and the effective rank, in module order.
 */
export function moduleSpectra(
  input: SpectrumInput,
  n: number,
): {
  lambdaMax: Float64Array;
  effRank: Float64Array;
  spectra: Float64Array;
  stdErr?: Float64Array;
} {
  const M = input.sides.length;
  const lambdaMax = new Float64Array(M);
  const effRank = new Float64Array(M);
  const spectra = new Float64Array(M * n);
  const proj = input.projections && input.projections.count >= 2 ? input.projections : null;
  const stdErr = proj ? new Float64Array(M) : null;
  let offset = 0;
  input.sides.forEach((q, m) => {
    if (q > n) throw new RangeError(`Module ${m}: a ${q} × ${q} matrix for an ${n}-sample kernel.`);
    const s = spectrum(input.data, q, offset);
    if (stdErr && proj) {
      if (q !== n) throw new RangeError('Projection terms need n × n kernels.');
      stdErr[m] = projectionStdErr(proj.data, proj.count, n, m, input.data, offset);
    }
    offset += q * q;
    // Θ's eigenvalues: the q of ĜᵀĜ and n − q zeros, descending (negative rounding stays last).
    const values = new Float64Array(n);
    values.set(s.values);
    values.sort().reverse();
    lambdaMax[m] = values[0] ?? 0;
    effRank[m] = s.effRank;
    spectra.set(values, m * n);
  });
  if (offset !== input.data.length) {
    throw new RangeError(`The spectrum input holds ${input.data.length} values, not ${offset}.`);
  }
  return { lambdaMax, effRank, spectra, ...(stdErr ? { stdErr } : {}) };
}

/**
 * The standard error of the projected trace kernel's λmax over its R' random projections
 * (docs/method.md, "λmax, spectrum and effective rank"), by the jackknife: with Θ_r module m's
 * projection terms in `terms` [modules, R', n, n] (Θ̂ = Σ_r Θ_r), λ_(r) = λmax of the estimate
 * without projection r, R'/(R' − 1)·(Θ̂ − Θ_r), and SE² = (R' − 1)/R' · Σ_r (λ_(r) − mean λ_(·))².
 * Unlike a fixed-eigenvector (delta-method) estimate it refits the eigenvector on each subset.
 */
export function projectionStdErr(
  terms: ArrayLike<number>,
  R: number,
  n: number,
  m: number,
  total: ArrayLike<number>,
  offset = 0,
): number {
  const each = new Float64Array(R);
  const without = new Float64Array(n * n);
  for (let r = 0; r < R; r++) {
    const base = (m * R + r) * n * n;
    for (let k = 0; k < n * n; k++)
      without[k] = ((total[offset + k]! - terms[base + k]!) * R) / (R - 1);
    each[r] = spectrum(without, n).lambdaMax;
  }
  const mean = each.reduce((a, b) => a + b, 0) / R;
  const spread = each.reduce((a, b) => a + (b - mean) ** 2, 0);
  return Math.sqrt(((R - 1) / R) * spread);
}
