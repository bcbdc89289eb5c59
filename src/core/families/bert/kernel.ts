import * as tf from '@tensorflow/tfjs';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { MlmBatch } from '../../data/mlm';
import type { Rng } from '../../rng';
import type { TinyBert } from './model';
import type { Captured } from '../transformer/model';
import { tokenLosses } from '../transformer/model';

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
export interface Probe {
  batch: MlmBatch;
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

/** How a probe's scalar functions s_r are made from k outputs (everything but the batch). */
export type ProbeProjections = Omit<Probe, 'batch'>;

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

/** The probe of an MLM batch: k = M·V outputs (the logits at its M masked positions). */
export function makeProbe(
  batch: MlmBatch,
  vocab: number,
  kernel: 'trace' | 'loss',
  R: number,
  rng: Rng,
): Probe {
  return { batch, ...probeProjections(batch.masked * vocab, kernel, R, rng) };
}

/** Σ_r Σ_i s_r(x_i) for the replicated batch (copy r of sample i is row r·n + i). */
export function probeObjective(
  logits: tf.Tensor2D,
  probe: Probe,
  oneHot: tf.Tensor2D | null,
  projections: tf.Tensor | null,
): tf.Scalar {
  const { batch: n, masked: M } = probe.batch;
  const Rp = probe.numProjections;
  if (probe.kernel === 'loss') {
    return tokenLosses(logits, oneHot!)
      .reshape([Rp * n, M])
      .mean(1)
      .sum();
  }
  return logits.reshape([Rp, n, probe.outputs]).mul(projections!).sum();
}

/** Tensors of the probe batch replicated R' times, built once per run and kept. */
export interface ProbeTensors {
  tokens: tf.Tensor2D;
  positions: tf.Tensor1D;
  oneHot: tf.Tensor2D | null;
  projections: tf.Tensor | null;
}

export function probeTensors(probe: Probe, vocab: number): ProbeTensors {
  const { batch } = probe;
  const { batch: n, seqLen: T, masked: M } = batch;
  const Rp = probe.numProjections;
  const tokens = new Int32Array(Rp * n * T);
  const positions = new Int32Array(Rp * n * M);
  const targets = new Int32Array(Rp * n * M);
  for (let r = 0; r < Rp; r++) {
    tokens.set(batch.inputs, r * n * T);
    for (let j = 0; j < n * M; j++) positions[r * n * M + j] = batch.positions[j]! + r * n * T;
    targets.set(batch.targets, r * n * M);
  }
  // Kept: a caller's tidy must not release them (they live for the run).
  return {
    tokens: tf.keep(tf.tensor2d(tokens, [Rp * n, T], 'int32')),
    positions: tf.keep(tf.tensor1d(positions, 'int32')),
    ...objectiveTensors(probe, targets, vocab),
  };
}

/**
 * What the probe objective reads, built once and kept: the replicated targets one-hot
 * ([rows, classes], loss kernel) or the projections ([R', 1, k], trace kernel); the other null.
 */
export function objectiveTensors(
  probe: Omit<Probe, 'batch'>,
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

export function disposeProbeTensors(p: ProbeTensors): void {
  p.tokens.dispose();
  p.positions.dispose();
  p.oneHot?.dispose();
  p.projections?.dispose();
}

/**
 * One layer's head kernels, [H, n, n] (unweighted): per-sample gradients of each head's q|k|v
 * columns (x̃ᵀ·Dqkv, tokens summed; bias via x̃'s ones column) and of its output-projection
 * rows (ctxᵀ·Dy), one batched matmul each, then Σ_r G_r G_rᵀ per head. Inputs are the
 * captured q|k|v input x̃ [N·T, d+1] and heads' contexts [N·T, H·d_h], and the tap gradients
 * Dqkv [N·T, 3·H·d_h] and Dy [N·T, d], for N = R'·n rows (copy r of sample i is row r·n + i).
 */
export function headGrams(
  xAug: tf.Tensor2D,
  ctx: tf.Tensor2D,
  dQkv: tf.Tensor,
  dY: tf.Tensor,
  dims: { n: number; Rp: number; T: number; H: number; dh: number },
): tf.Tensor3D {
  const { n, Rp, T, H, dh } = dims;
  const N = n * Rp;
  const d1 = xAug.shape[1];
  const d = dY.shape[dY.rank - 1]!;
  const gq = tf
    .matMul(xAug.reshape([N, T, d1]), dQkv.reshape([N, T, 3 * H * dh]), true, false)
    .reshape([N, d1, H, 3 * dh])
    .transpose([2, 0, 1, 3])
    .reshape([H, N, d1 * 3 * dh]);
  const go = tf
    .matMul(ctx.reshape([N, T, H * dh]), dY.reshape([N, T, d]), true, false)
    .reshape([N, H, dh * d])
    .transpose([1, 0, 2]);
  const G = tf.concat([gq, go], 2).reshape([H * Rp, n, -1]);
  return tf.matMul(G, G, false, true).reshape([H, Rp, n, n]).sum(1) as tf.Tensor3D;
}

/**
 * Every head's n × n kernel in one forward and one backward pass over the replicated probe
 * batch: gradients of Σ s with respect to zero taps on the q|k|v and output-projection outputs
 * are the per-sample output gradients D_i; a head's per-sample parameter gradient is then
 * X̃_iᵀ D_i (tokens summed, bias via the ones column) for q|k|v and ctx_iᵀ D_i for its output
 * rows, and Θ = w Σ_r G_r G_rᵀ. Returns [modules, n, n] row-major, module order L0.H0, L0.H1, …
 */
export async function fastHeadKernels(
  model: TinyBert,
  probe: Probe,
  pt: ProbeTensors,
): Promise<Float32Array> {
  const { layers: Lc, heads: H, dModel: d, seqLen: T } = model.size;
  const dh = model.dHead;
  const n = probe.batch.batch;
  const Rp = probe.numProjections;
  const N = Rp * n;
  const capture: Captured = { xAug: [], ctx: [] };
  const grams = tf.tidy(() => {
    const taps = {
      qkv: Array.from({ length: Lc }, () => tf.zeros([N * T, 3 * H * dh]) as tf.Tensor2D),
      y: Array.from({ length: Lc }, () => tf.zeros([N * T, d]) as tf.Tensor2D),
    };
    const f = (...t: tf.Tensor[]) => {
      const logits = model.forward(
        { tokens: pt.tokens, positions: pt.positions },
        {
          taps: { qkv: t.slice(0, Lc) as tf.Tensor2D[], y: t.slice(Lc) as tf.Tensor2D[] },
          capture,
        },
      );
      return probeObjective(logits, probe, pt.oneHot, pt.projections);
    };
    const D = tf.grads(f)([...taps.qkv, ...taps.y]);
    const perLayer: tf.Tensor[] = [];
    for (let l = 0; l < Lc; l++) {
      perLayer.push(
        headGrams(capture.xAug[l]!, capture.ctx[l]!, D[l]!, D[Lc + l]!, { n, Rp, T, H, dh }),
      );
    }
    return tf.concat(perLayer, 0).mul(probe.weight);
  });
  for (const t of [...capture.xAug, ...capture.ctx]) t.dispose();
  const out = (await grams.data()) as Float32Array;
  grams.dispose();
  return out;
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
