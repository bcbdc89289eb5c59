import * as tf from '@tensorflow/tfjs';
import type { MlmBatch } from '../../data/mlm';
import type { ProbeProjections } from '../../kernel';
import { objectiveTensors, probeProjections } from '../../kernel';
import type { Rng } from '../../rng';
import type { Captured, EmbedTaps } from './model';
import { sampleLosses } from '../model';

/** The probe of a masked-language model: an MLM batch and its scalar functions (see `ProbeProjections`). */
export interface Probe extends ProbeProjections {
  batch: MlmBatch;
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
    return sampleLosses(logits, oneHot!)
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

export function disposeProbeTensors(p: ProbeTensors): void {
  p.tokens.dispose();
  p.positions.dispose();
  p.oneHot?.dispose();
  p.projections?.dispose();
}

/**
 * One layer's head kernels per replica, [H, R', n, n] (unweighted; their sum over r is Θ/w): per-sample gradients of each head's q|k|v
 * columns (x̃ᵀ·Dqkv, tokens summed; bias via x̃'s ones column) and of its output-projection
 * rows (ctxᵀ·Dy), one batched matmul each, then G_r G_rᵀ per head and replica, [H, R', n, n]. Inputs are the
 * captured q|k|v input x̃ [N·T, d+1] and heads' contexts [N·T, H·d_h], and the tap gradients
 * Dqkv [N·T, 3·H·d_h] and Dy [N·T, d], for N = R'·n rows (copy r of sample i is row r·n + i).
 */
export function headGrams(
  xAug: tf.Tensor2D,
  ctx: tf.Tensor2D,
  dQkv: tf.Tensor,
  dY: tf.Tensor,
  dims: { n: number; Rp: number; T: number; H: number; dh: number },
): tf.Tensor4D {
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
  return tf.matMul(G, G, false, true).reshape([H, Rp, n, n]) as tf.Tensor4D;
}

/**
 * A feed-forward block's kernel per replica, [1, R', n, n] (unweighted): with x̃ = [x, 1] its input and
 * ã = [ReLU(h), 1] its hidden activation, the per-sample gradients are x̃_iᵀ D^h_i for
 * [W1; b1] and ã_iᵀ D^y_i for [W2; b2] (tokens summed), one batched matmul each, then
 * G_r G_rᵀ per replica. Inputs: the FFN input x [N·T, d], ReLU(h) [N·T, dFF] and the tap gradients
 * D^h [N·T, dFF], D^y [N·T, d], for N = R'·n rows (copy r of sample i is row r·n + i).
 */
export function ffnGram(
  x: tf.Tensor2D,
  hidden: tf.Tensor2D,
  dH: tf.Tensor,
  dY: tf.Tensor,
  dims: { n: number; Rp: number; T: number },
): tf.Tensor4D {
  const { n, Rp, T } = dims;
  const N = n * Rp;
  const d = x.shape[1];
  const f = hidden.shape[1];
  const ones = tf.ones([N * T, 1]);
  const xt = tf.concat([x, ones], 1).reshape([N, T, d + 1]);
  const at = tf.concat([hidden, ones], 1).reshape([N, T, f + 1]);
  const g1 = tf.matMul(xt, dH.reshape([N, T, f]), true, false).reshape([N, (d + 1) * f]);
  const g2 = tf.matMul(at, dY.reshape([N, T, d]), true, false).reshape([N, (f + 1) * d]);
  const G = tf.concat([g1, g2], 1).reshape([Rp, n, -1]);
  return tf.matMul(G, G, false, true).reshape([1, Rp, n, n]);
}

/** What the embeddings' kernel is computed from (see `embedGram`). */
export interface EmbedGradients {
  /** [N·T, d]: gradients at token + position embedding (the embedding LayerNorm's input). */
  dPre: tf.Tensor;
  /** [N·T, d]: gradients at the embedding LayerNorm's output. */
  dPost: tf.Tensor;
  /** [N·T, d]: the LayerNorm's normalised input x̂. */
  xhat: tf.Tensor2D;
  /** [N·M, V]: gradients at the logits. */
  dLogits: tf.Tensor;
  /** [N·M, d]: the tied decoder's input. */
  tn: tf.Tensor2D;
}

/**
 * The embeddings' kernel per replica, [1, R', n, n] (unweighted), without forming any per-sample gradient over
 * the vocabulary. Sample i's gradient (for one scalar function) is
 *   token embedding:    Σ_t e_{tok(i,t)} D_{i,t}ᵀ + Σ_m δ_{i,m} tn_{i,m}ᵀ   [V, d]
 *                       (the rows its tokens read, plus the tied decoder's outer products),
 *   position embedding: row t is D_{i,t},
 *   LayerNorm gain, bias: Σ_t D'_{i,t} ⊙ x̂_{i,t} and Σ_t D'_{i,t},
 * with D the gradient at the token + position sum, D' at the LayerNorm's output, δ at the logits
 * and tn the decoder's input at masked position m. Their inner product, per replica,
 *   Θ[i, j] = Σ_{t,t'} ([tok(i,t) = tok(j,t')] + [t = t']) ⟨D_{i,t}, D_{j,t'}⟩
 *           + C[i, j] + C[j, i],   C[i, j] = Σ_{t,m'} δ_{j,m'}[tok(i,t)] ⟨D_{i,t}, tn_{j,m'}⟩
 *           + Σ_{m,m'} ⟨δ_{i,m}, δ_{j,m'}⟩ ⟨tn_{i,m}, tn_{j,m'}⟩
 *           + ⟨gain_i, gain_j⟩ + ⟨bias_i, bias_j⟩,
 * is built from (n·T)² and (n·M)² token-pair products: ⟨g_i, g_j⟩ summed over blocks. Replicas
 * run one at a time (the n·T × n·T products are the largest tensors); `tokens` [n·T] int32 are
 * the probe's token ids (the same in every replica).
 */
export function embedGram(
  g: EmbedGradients,
  tokens: tf.Tensor1D,
  dims: { n: number; Rp: number; T: number; M: number },
): tf.Tensor4D {
  const { n, Rp, T, M } = dims;
  const nT = n * T;
  const nM = n * M;
  const d = g.xhat.shape[1];
  const blockSum = (x: tf.Tensor, a: number, b: number) =>
    x.reshape([n, a, n, b]).sum(3).sum(1) as tf.Tensor2D;
  const column = (x: tf.Tensor1D) => x.reshape([-1, 1]);
  const row = (x: tf.Tensor1D) => x.reshape([1, -1]);
  const position = tf.tile(tf.range(0, T, 1, 'int32'), [n]) as tf.Tensor1D;
  // [tok(i,t) = tok(j,t')] + [t = t'] over token pairs.
  const pairs = tf
    .equal(column(tokens), row(tokens))
    .toFloat()
    .add(tf.equal(column(position), row(position)).toFloat());
  const replicas: tf.Tensor2D[] = [];
  for (let r = 0; r < Rp; r++) {
    const theta = tf.tidy(() => {
      const D = g.dPre.slice([r * nT, 0], [nT, d]) as tf.Tensor2D;
      const Dp = g.dPost.slice([r * nT, 0], [nT, d]) as tf.Tensor2D;
      const xh = g.xhat.slice([r * nT, 0], [nT, d]);
      const dl = g.dLogits.slice([r * nM, 0], [nM, -1]) as tf.Tensor2D;
      const tn = g.tn.slice([r * nM, 0], [nM, d]);
      const rows = blockSum(tf.matMul(D, D, false, true).mul(pairs), T, T);
      // δ_{j,m'}[tok(i,t)]: the logit gradients' columns at the probe's tokens, [n·T, n·M].
      const atTokens = tf.gather(dl, tokens, 1).transpose();
      const C = blockSum(tf.matMul(D, tn, false, true).mul(atTokens), T, M);
      const decoder = blockSum(
        tf.matMul(dl, dl, false, true).mul(tf.matMul(tn, tn, false, true)),
        M,
        M,
      );
      const gain = Dp.mul(xh).reshape([n, T, d]).sum(1);
      const bias = Dp.reshape([n, T, d]).sum(1);
      const ln = tf.concat([gain, bias], 1);
      return rows
        .add(C)
        .add(C.transpose())
        .add(decoder)
        .add(tf.matMul(ln, ln, false, true)) as tf.Tensor2D;
    });
    replicas.push(theta);
  }
  const out = tf.stack(replicas).reshape([1, Rp, n, n]) as tf.Tensor4D;
  tf.dispose(replicas);
  return out;
}

/**
 * Zero taps for the embeddings' kernel over the replicated probe batch (N = R'·n sequences of T
 * tokens, M masked each): the token + position sum and the LayerNorm's output [N·T, d], the
 * logits [N·M, V].
 */
export function embedZeroTaps(
  dims: { N: number; T: number; M: number },
  d: number,
  V: number,
): tf.Tensor2D[] {
  const { N, T, M } = dims;
  return [tf.zeros([N * T, d]), tf.zeros([N * T, d]), tf.zeros([N * M, V])].map(
    (t) => t as tf.Tensor2D,
  );
}

/** The embeddings' taps from the three tensors `embedZeroTaps` made, as the forward takes them. */
export const embedTapsOf = (e: tf.Tensor2D[]): EmbedTaps => ({
  pre: e[0]!,
  post: e[1]!,
  logits: e[2]!,
});

/**
 * The embeddings' kernel per replica (`embedGram`) from the gradients `e` at their three taps (see
 * `embedZeroTaps`) and the forward's capture (x̂ and the decoder's input), on the probe's own
 * tokens (the first of the replicas in `tokens`).
 */
export function probeEmbedGram(
  e: tf.Tensor[],
  capture: Required<Pick<Captured, 'xhat' | 'tn'>>,
  tokens: tf.Tensor2D,
  dims: { n: number; Rp: number; T: number; M: number },
): tf.Tensor4D {
  const { n, T } = dims;
  const ids = tokens.slice([0, 0], [n, T]).reshape([n * T]) as tf.Tensor1D;
  const g = {
    dPre: e[0]!,
    dPost: e[1]!,
    dLogits: e[2]!,
    xhat: capture.xhat[0]!,
    tn: capture.tn[0]!,
  };
  return embedGram(g, ids, dims);
}

/** Asked of a fast kernel: the per-projection terms too (for the estimator's standard error). */
export interface KernelTerms {
  /** Set to ask for `terms`. */
  withTerms?: boolean;
  /** [modules, R', n, n] row-major: w·G_r G_rᵀ per module and projection (see `SpectrumInput`). */
  terms?: Float32Array;
}

/**
 * The kernels [modules, n, n] (the sum over projections of `terms` [modules, R', n, n]), read
 * back; the terms too when `extras.withTerms`. Disposes `terms`.
 */
export async function termsAndKernels(
  terms: tf.Tensor,
  extras?: KernelTerms,
): Promise<Float32Array> {
  const sum = terms.sum(1);
  const out = (await sum.data()) as Float32Array;
  sum.dispose();
  if (extras?.withTerms) extras.terms = (await terms.data()) as Float32Array;
  terms.dispose();
  return out;
}
