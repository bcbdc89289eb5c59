import type { EvaluationFlops, StepFlops } from '../../flops';
import {
  ADAM_FLOPS_PER_PARAM,
  stepTotal,
  LN,
  XENT,
  eigenFlops,
  evaluationTotal,
} from '../../flops';
import { attentionForward, headParams } from '../transformer/flops';
import type { BertSize } from './model';

interface Shape extends BertSize {
  /** Sequences in the batch. */
  batch: number;
  /** Masked positions per sequence. */
  masked: number;
}

/** Forward FLOPs and the element-wise part (whose backward costs twice as much). */
function forwardParts(s: Shape, groupsPerLayer: number[]): { matmul: number; elementwise: number } {
  const { batch: B, seqLen: T, dModel: d, dFF: f, vocab: V, heads: H, layers: L } = s;
  const N = B * T;
  const BM = B * s.masked;
  let matmul = 0;
  let ew = N * d + LN * N * d; // position add, embedding LayerNorm
  for (let l = 0; l < L; l++) {
    const a = attentionForward(B, T, d, H, groupsPerLayer[l] ?? 1);
    matmul += a.matmul;
    ew += a.elementwise;
    matmul += 2 * N * d * f + 2 * N * f * d; // FFN
    ew += 2 * N * f + N * d + N * d + LN * N * d; // bias+ReLU, bias, residual, LayerNorm
  }
  matmul += 2 * BM * d * d + 2 * BM * d * V; // MLM transform, tied decoder
  ew += 2 * BM * d + LN * BM * d + BM * V + XENT * BM * V;
  return { matmul, elementwise: ew };
}

/** Parameters always trained (embeddings, norms, FFNs, output bias, MLM head). */
export function backboneParams(s: BertSize): number {
  const { dModel: d, dFF: f, vocab: V, seqLen: T, layers: L } = s;
  const perLayer = d + 2 * d + d * f + f + f * d + d + 2 * d;
  return V * d + T * d + 2 * d + L * perLayer + d * d + d + 2 * d + V;
}

/**
 * FLOPs of one training step. `updating[m]` says whether head m (order L0.H0, L0.H1, …) is
 * updated; `groupsPerLayer` how many head groups each layer runs (1 or 2).
 */
export function bertStepFlops(
  size: BertSize,
  batch: number,
  updating: boolean[],
  groupsPerLayer: number[] = [],
): StepFlops {
  const masked = Math.max(1, Math.round(0.15 * size.seqLen));
  const s: Shape = { ...size, batch, masked };
  const { matmul, elementwise } = forwardParts(s, groupsPerLayer);
  const forward = matmul + elementwise;
  const { seqLen: T, dModel: d, dFF: f, vocab: V, heads: H, layers: L } = size;
  const N = batch * T;
  const BM = batch * masked;
  const dh = d / H;
  // Input gradients: every matmul once for its activation operand; attention's two
  // activation–activation matmuls need both operands (so twice); element-wise ops twice.
  const attnBoth = L * 2 * 2 * batch * H * T * T * dh;
  const inputGrad = matmul + attnBoth + 2 * elementwise;
  // Weight gradients of the backbone: FFN and MLM matmuls, tied decoder, and the reductions
  // for biases, gains, position and token embeddings.
  let weightGrad = L * (2 * N * d * f + 2 * N * f * d) + 2 * BM * d * d + 2 * BM * d * V;
  weightGrad += L * (N * f + N * d + N * d + 4 * N * d) + BM * d + 2 * BM * d + BM * V;
  weightGrad += N * d + N * d + 2 * N * d; // position, token-embedding scatter, embedding LN
  let updatedHeads = 0;
  for (const u of updating) if (u) updatedHeads++;
  weightGrad += updatedHeads * (2 * N * (d + 1) * 3 * dh + 2 * N * dh * d);
  const optimizer = ADAM_FLOPS_PER_PARAM * (backboneParams(size) + updatedHeads * headParams(size));
  return stepTotal({ forward, inputGrad, weightGrad, optimizer });
}

/**
 * FLOPs of one mNTK evaluation over all heads: the forward and backward pass over the probe
 * batch replicated R' times (gradients to the taps only, so no weight gradients and nothing
 * below layer 0's q|k|v output), the per-sample gradients X̃ᵢᵀDᵢ and ctxᵢᵀDᵢ, the Grams, and a
 * dense symmetric eigen-solve per module (≈ 9n³).
 */
export function bertEvaluationFlops(
  size: BertSize,
  n: number,
  projections: number,
): EvaluationFlops {
  const masked = Math.max(1, Math.round(0.15 * size.seqLen));
  const Np = n * projections;
  const s: Shape = { ...size, batch: Np, masked };
  const { matmul, elementwise } = forwardParts(s, []);
  const { seqLen: T, dModel: d, heads: H, layers: L, vocab: V } = size;
  const dh = d / H;
  const tokens = Np * T;
  const taps = L * (tokens * 3 * d + tokens * d);
  const objective = 2 * Np * masked * V;
  const forward = matmul + elementwise + taps + objective;
  const attnBoth = L * 2 * 2 * Np * H * T * T * dh;
  const belowTap = 2 * tokens * (d + 1) * 3 * d + 2 * (tokens * d + LN * tokens * d);
  const backward = matmul + attnBoth + 2 * (elementwise + taps + objective) - belowTap;
  const perSample = L * (2 * tokens * (d + 1) * 3 * d + 2 * tokens * d * d);
  const P = headParams(size);
  const gram = L * H * projections * 2 * n * n * P + L * H * projections * n * n;
  const eigen = eigenFlops(L * H, n);
  return evaluationTotal({ forward, backward, perSample, gram, eigen });
}
