import * as tf from '@tensorflow/tfjs';
import type { MlmBatch } from '../../data/mlm';
import type { ProbeProjections } from '../../kernel';
import { objectiveTensors, probeProjections } from '../../kernel';
import type { Rng } from '../../rng';
import { tokenLosses } from './model';

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
