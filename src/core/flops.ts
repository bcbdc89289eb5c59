import type { BertSize } from './families/bert/model';

/**
 * Analytic FLOP counts (METHOD.md, "Compute accounting"). Conventions, used everywhere:
 * - a matmul [m, k]·[k, n] costs 2·m·k·n;
 * - an element-wise op costs 1 per output element; LayerNorm 8 per element (mean, subtract,
 *   square, mean, add ε + rsqrt, scale, gain, bias); softmax 5 per element; cross-entropy 6
 *   per logit (max, subtract, exp, sum, log, pick);
 * - the backward pass of an element-wise op costs twice its forward;
 * - a matmul's backward costs one matmul per operand that needs a gradient: the input-gradient
 *   is always paid (embeddings are trained, so every op between the loss and them is on the
 *   path), the weight-gradient only for updated parameters;
 * - Adam costs 12 per updated parameter;
 * - a gather or reshape costs nothing; validation passes are monitoring, not training, and are
 *   not charged to any policy.
 */
export interface StepFlops {
  forward: number;
  inputGrad: number;
  weightGrad: number;
  optimizer: number;
  total: number;
}

export const ADAM_FLOPS_PER_PARAM = 12;
/** FLOPs per element of a LayerNorm, a softmax and a cross-entropy (shared by every model). */
export const LN = 8;
export const SOFTMAX = 5;
export const XENT = 6;

interface Shape extends BertSize {
  /** Sequences in the batch. */
  batch: number;
  /** Masked positions per sequence. */
  masked: number;
}

/**
 * Forward FLOPs of one attention sublayer over B sequences of T tokens, heads run in `groups`
 * groups: q|k|v with bias row, scores and context, output projection (matmuls); q scaling,
 * softmax, summing the groups' outputs, bias, residual and LayerNorm (element-wise).
 */
export function attentionForward(
  B: number,
  T: number,
  d: number,
  H: number,
  groups: number,
): { matmul: number; elementwise: number } {
  const N = B * T;
  const matmul = 2 * N * (d + 1) * 3 * d + 2 * 2 * B * H * T * T * (d / H) + 2 * N * d * d;
  const elementwise =
    N * d + SOFTMAX * B * H * T * T + N * d * Math.max(0, groups - 1) + N * d + N * d + LN * N * d;
  return { matmul, elementwise };
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

/** Parameters of one head: q|k|v columns with biases, and its output-projection rows. */
export function headParams(s: BertSize): number {
  const dh = s.dModel / s.heads;
  return (s.dModel + 1) * 3 * dh + dh * s.dModel;
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
  return {
    forward,
    inputGrad,
    weightGrad,
    optimizer,
    total: forward + inputGrad + weightGrad + optimizer,
  };
}

export interface EvaluationFlops {
  forward: number;
  backward: number;
  perSample: number;
  gram: number;
  eigen: number;
  total: number;
}

/** A dense symmetric eigen-decomposition of an n × n kernel: ≈ 9n³ per module. */
export const eigenFlops = (modules: number, n: number): number => modules * 9 * n ** 3;

/** An evaluation's parts with their sum. */
export function evaluationTotal(parts: Omit<EvaluationFlops, 'total'>): EvaluationFlops {
  const { forward, backward, perSample, gram, eigen } = parts;
  return { ...parts, total: forward + backward + perSample + gram + eigen };
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
