import { LN, SOFTMAX, XENT } from '../../flops';
import type { TransformerSize } from './model';

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

/** Parameters of one head: q|k|v columns with biases, and its output-projection rows. */
export function headParams(s: TransformerSize): number {
  const dh = s.dModel / s.heads;
  return (s.dModel + 1) * 3 * dh + dh * s.dModel;
}

/** FLOPs of one part of a step, matmuls apart from everything else. */
export interface FlopPart {
  matmul: number;
  other: number;
}

/**
 * A training step's FLOPs as the transformers count them, by part, each split into matmuls and
 * the rest: the matmul parts are what `tf.profile` can check (the pruning tests), the rest
 * follows the conventions of `core/flops.ts`.
 */
export interface StepLedger {
  forward: FlopPart;
  inputGrad: FlopPart;
  weightGrad: FlopPart;
}

export function emptyLedger(): StepLedger {
  const part = () => ({ matmul: 0, other: 0 });
  return { forward: part(), inputGrad: part(), weightGrad: part() };
}

export const partTotal = (p: FlopPart): number => p.matmul + p.other;

/** All matmul FLOPs of a step: forward, input gradients and weight gradients. */
export const ledgerMatmuls = (l: StepLedger): number =>
  l.forward.matmul + l.inputGrad.matmul + l.weightGrad.matmul;

/**
 * The embeddings in a step over N tokens: the token gather (free), the position add and the
 * LayerNorm. Backward only when they train (`trained`: backbone, or the `embed` module updated):
 * then their input gradients and the position, token-scatter and LayerNorm gain/bias reductions.
 * Frozen, nothing below layer 0 is on TF.js's gradient path (the gather, tile and add read
 * nothing that needs a gradient), so none of it runs.
 */
export function embeddingsStep(ledger: StepLedger, N: number, d: number, trained: boolean): void {
  const ew = N * d + LN * N * d;
  ledger.forward.other += ew;
  if (!trained) return;
  ledger.inputGrad.other += 2 * ew;
  ledger.weightGrad.other += N * d + N * d + 2 * N * d;
}

/** Heads of one layer run as one group (one q|k|v and one output matmul), updated or frozen. */
export interface HeadGroupFlops {
  heads: number;
  updated: boolean;
}

/**
 * One attention sublayer in a step over B sequences of T tokens, its heads in `groups`.
 * `below`: whether the sublayer's input needs a gradient (something under it trains). Forward
 * as `attentionForward`. Backward, as TF.js's tape runs it: a group is on the gradient path iff
 * `below` or it is updated; then its output-projection input gradient, both operands of scores
 * and context, q scaling and softmax run, and the q|k|v input gradient iff `below`; its weight
 * gradients iff updated. The bias, residual, LayerNorm and the join of two groups are always on
 * the path (the bias and LayerNorm train), with the bias and gain/bias reductions.
 */
export function attentionStep(
  ledger: StepLedger,
  dims: { B: number; T: number; d: number; H: number },
  groups: readonly HeadGroupFlops[],
  below: boolean,
): void {
  const { B, T, d, H } = dims;
  const N = B * T;
  const dh = d / H;
  for (const g of groups) {
    const w = g.heads * dh;
    const qkv = 2 * N * (d + 1) * 3 * w;
    const core = 2 * 2 * B * g.heads * T * T * dh;
    const out = 2 * N * w * d;
    const ew = N * w + SOFTMAX * B * g.heads * T * T;
    ledger.forward.matmul += qkv + core + out;
    ledger.forward.other += ew;
    if (below || g.updated) {
      ledger.inputGrad.matmul += out + 2 * core + (below ? qkv : 0);
      ledger.inputGrad.other += 2 * ew;
    }
    if (g.updated) ledger.weightGrad.matmul += qkv + out;
  }
  const layer = N * d * Math.max(0, groups.length - 1) + N * d + N * d + LN * N * d;
  ledger.forward.other += layer;
  ledger.inputGrad.other += 2 * layer;
  ledger.weightGrad.other += N * d + 2 * N * d; // output bias, LayerNorm gain and bias
}

/**
 * The MLM head on BM masked positions: dense + ReLU, LayerNorm, the decoder tied to the token
 * embedding and its bias, the cross-entropy. Its input gradients always run (its weights
 * train); the decoder's weight gradient (into the token embedding) only when the embeddings
 * train.
 */
export function mlmHeadStep(
  ledger: StepLedger,
  BM: number,
  d: number,
  V: number,
  embeddingsTrained: boolean,
): void {
  const matmul = 2 * BM * d * d + 2 * BM * d * V;
  const ew = 2 * BM * d + LN * BM * d + BM * V + XENT * BM * V;
  ledger.forward.matmul += matmul;
  ledger.forward.other += ew;
  ledger.inputGrad.matmul += matmul;
  ledger.inputGrad.other += 2 * ew;
  ledger.weightGrad.matmul += 2 * BM * d * d + (embeddingsTrained ? 2 * BM * d * V : 0);
  ledger.weightGrad.other += BM * d + 2 * BM * d + BM * V; // MLM bias, LayerNorm, decoder bias
}

/**
 * A layer's heads as groups for `on` of its H heads updated: one group when all or none are,
 * else the updated and the frozen group (as `headGroups` runs them).
 */
export function headGroupsFor(on: number, H: number): HeadGroupFlops[] {
  if (on === 0) return [{ heads: H, updated: false }];
  if (on === H) return [{ heads: H, updated: true }];
  return [
    { heads: on, updated: true },
    { heads: H - on, updated: false },
  ];
}

/** Parameters of the embeddings: token and position embeddings, LayerNorm gain and bias. */
export function embedParams(s: TransformerSize): number {
  return s.vocab * s.dModel + s.seqLen * s.dModel + 2 * s.dModel;
}

/**
 * FLOPs of the embeddings' kernel in one evaluation over n probe samples and R' scalar
 * functions (see `embedGram`): per-sample LayerNorm gain and bias gradients (3 per token and
 * feature), and per replica the token-pair products (2·(n·T)²·d), their pair mask (3 per pair
 * to build, once) and block sums (2 per pair), the decoder cross terms (2·n·T·n·M·d + 2 per
 * pair), the decoder's own (2·(n·M)²·(V + d) + 2 per pair), the LayerNorm Gram (2·n²·2d) and
 * five n × n adds.
 */
export function embedKernelFlops(
  s: TransformerSize,
  n: number,
  projections: number,
  masked: number,
): { perSample: number; gram: number } {
  const { seqLen: T, dModel: d, vocab: V } = s;
  const nT = n * T;
  const nM = n * masked;
  const perSample = 3 * projections * nT * d;
  const perReplica =
    2 * nT * nT * d +
    2 * nT * nT +
    2 * nT * nM * d +
    2 * nT * nM +
    2 * nM * nM * (V + d) +
    2 * nM * nM +
    2 * n * n * 2 * d +
    5 * n * n;
  return { perSample, gram: 3 * nT * nT + projections * perReplica };
}
