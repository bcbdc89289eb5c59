import { maskCount } from '../../data/mlm';
import type { EvaluationFlops, StepFlops } from '../../flops';
import {
  ADAM_FLOPS_PER_PARAM,
  stepTotal,
  LN,
  SOFTMAX,
  XENT,
  eigenFlops,
  evaluationTotal,
} from '../../flops';
import { attentionForward, headParams } from '../transformer/flops';
import type { SwitchSize } from './model';
import { expertCapacity } from './model';

/**
 * Analytic FLOPs of the tiny Switch Transformer, with the conventions of flops.ts (a matmul
 * [m, k]·[k, n] costs 2·m·k·n; element-wise 1 per output element, a reduction 1 per input
 * element, LayerNorm 8, softmax 5, cross-entropy 6 per element; backward of a differentiable
 * element-wise op twice its forward; gather, concat, split, stack, slice, tile cost nothing;
 * Adam 12 per updated parameter), counting what `TinySwitch.forward` runs:
 *
 * - experts run gathered, on S = E·G·C slots padded to capacity C = ceil(c·tokens/(G·E)), so
 *   the expert matmuls cost 2·S·(d+1)·dFF + 2·S·(dFF+1)·d whatever the routing (empty slots
 *   compute on token 0 and are never read) — ≈ c × one dense FFN, not E ×;
 * - the routing (argmax, one-hot, f_e, cumsum, capacity test, slot arithmetic, scatter) runs
 *   off the gradient tape: `ROUTE_PER_TOKEN_EXPERT`·N·E + `ROUTE_PER_TOKEN`·N +
 *   `ROUTE_PER_SLOT`·S forward, no backward;
 * - the gate coefficient Σ_e p ⊙ m (2·N·E) and the load-balancing loss (mean of p over tokens
 *   N·E, f·P and its sum 2E, the α_lb·E scale 1, summing layers) are differentiable;
 * - the two row gathers (tokens → slots, slots → tokens) cost nothing forward; their
 *   gradients are gathers back through the inverse map times a 0/1 mask, N·d and S·d, paid as
 *   input gradients.
 */
export type SwitchFlopSize = SwitchSize;

/**
 * Routing ops per token and expert: argmax, = e, where (the one-hot), f_e, cumsum, C+½−c,
 * step, ×, +offsets, ×, two sums.
 */
export const ROUTE_PER_TOKEN_EXPERT = 12;
/** Routing ops per token: 1 − kept, ×S, + slot, → int, scatter, slot → int. */
export const ROUTE_PER_TOKEN = 6;

/** Routing ops per slot: source = max(filled − 1, 0) and occupied = float(min(filled, 1)). */
export const ROUTE_PER_SLOT = 4;

/** Parameters of one expert: W̃1 [d+1, dFF] and W̃2 [dFF+1, d] (biases as last rows). */
export function expertParams(s: Pick<SwitchSize, 'dModel' | 'dFF'>): number {
  return (s.dModel + 1) * s.dFF + (s.dFF + 1) * s.dModel;
}

/** Parameters always trained: embeddings, norms, output-projection biases, routers, MLM head. */
export function switchBackboneParams(s: SwitchSize): number {
  const { dModel: d, vocab: V, seqLen: T, layers: L, experts: E } = s;
  const perLayer = d + 2 * d + d * E + 2 * d;
  return V * d + T * d + 2 * d + L * perLayer + d * d + d + 2 * d + V;
}

interface Pass {
  /** Sequences in the pass. */
  seqs: number;
  /** Routing groups G. */
  groups: number;
  /** Head groups per layer (1 or 2). */
  headGroups: number[];
}

/** Slots per expert and group C, and all slots S = E·G·C, of a pass. */
export function switchSlots(size: SwitchSize, seqs: number, groups = 1): { C: number; S: number } {
  const C = expertCapacity((seqs * size.seqLen) / groups, size.experts, size.capacityFactor);
  return { C, S: size.experts * groups * C };
}

/**
 * Forward FLOPs of a pass, split into matmuls, differentiable element-wise ops (whose backward
 * costs twice as much), the off-tape routing, and the gather scatter-adds of the backward.
 */
function forwardParts(size: SwitchSize, p: Pass) {
  const { seqLen: T, dModel: d, dFF: f, vocab: V, heads: H, layers: L, experts: E } = size;
  const B = p.seqs;
  const N = B * T;
  const BM = B * maskCount(T);
  const { S } = switchSlots(size, B, p.groups);
  let matmul = 0;
  let ew = N * d + LN * N * d; // position add, embedding LayerNorm
  let route = 0;
  let scatter = 0;
  for (let l = 0; l < L; l++) {
    const a = attentionForward(B, T, d, H, p.headGroups[l] ?? 1);
    matmul += a.matmul;
    ew += a.elementwise;
    matmul += 2 * N * d * E; // router
    ew += SOFTMAX * N * E; // router softmax
    route += ROUTE_PER_TOKEN_EXPERT * N * E + ROUTE_PER_TOKEN * N + ROUTE_PER_SLOT * S;
    ew += 2 * N * E; // gate coefficient Σ_e p ⊙ m
    ew += N * E + 2 * E + 1 + (l > 0 ? 1 : 0); // load-balancing loss and its sum over layers
    matmul += 2 * S * (d + 1) * f + 2 * S * (f + 1) * d; // experts on their slots
    ew += S * f; // ReLU
    ew += N * d + N * d + LN * N * d; // gate multiply, residual, LayerNorm
    scatter += N * d + S * d; // masks on the gradients of the dispatch and combine gathers
  }
  matmul += 2 * BM * d * d + 2 * BM * d * V; // MLM transform, tied decoder
  ew += 2 * BM * d + LN * BM * d + BM * V + XENT * BM * V;
  return { matmul, ew, route, scatter, N, BM, S };
}

/** Head groups (1 or 2) per layer for `updating` in module order (heads first). */
function headGroupsOf(size: SwitchSize, updating: boolean[]): number[] {
  const H = size.heads;
  return Array.from({ length: size.layers }, (_, l) => {
    const on = updating.slice(l * H, (l + 1) * H).filter(Boolean).length;
    return on === 0 || on === H ? 1 : 2;
  });
}

/**
 * FLOPs of one training step on `batch` sequences (one routing group). `updating[m]` in module
 * order: L·H heads, then L·E experts. The loss is the masked-token cross-entropy plus the
 * load-balancing loss (one add).
 */
export function switchStepFlops(size: SwitchSize, batch: number, updating: boolean[]): StepFlops {
  const { seqLen: T, dModel: d, dFF: f, vocab: V, heads: H, layers: L, experts: E } = size;
  const headGroups = headGroupsOf(size, updating);
  const { matmul, ew, route, scatter, N, BM } = forwardParts(size, {
    seqs: batch,
    groups: 1,
    headGroups,
  });
  const { C } = switchSlots(size, batch);
  const forward = matmul + ew + route + 1;
  const dh = d / H;
  // Input gradients: every matmul once for its activation operand (attention's two
  // activation–activation matmuls twice), differentiable element-wise ops twice, scatter-adds.
  const attnBoth = L * 2 * 2 * batch * H * T * T * dh;
  const inputGrad = matmul + attnBoth + 2 * (ew + 1) + scatter;
  // Backbone weight gradients: routers, MLM transform, tied decoder; reductions for biases,
  // gains, position and token embeddings.
  let weightGrad = L * 2 * N * d * E + 2 * BM * d * d + 2 * BM * d * V;
  weightGrad += L * (N * d + 4 * N * d) + BM * d + 2 * BM * d + BM * V;
  weightGrad += N * d + N * d + 2 * N * d; // position, token-embedding scatter, embedding LN
  let heads = 0;
  let experts = 0;
  updating.forEach((u, m) => {
    if (!u) return;
    if (m < L * H) heads++;
    else if (m < L * H + L * E) experts++;
  });
  weightGrad += heads * (2 * N * (d + 1) * 3 * dh + 2 * N * dh * d);
  weightGrad += experts * (2 * C * (d + 1) * f + 2 * C * (f + 1) * d);
  const optimizer =
    ADAM_FLOPS_PER_PARAM *
    (switchBackboneParams(size) + heads * headParams(size) + experts * expertParams(size));
  return stepTotal({ forward, inputGrad, weightGrad, optimizer });
}

/**
 * FLOPs of one mNTK evaluation over all heads and experts (see `fastSwitchKernels`): forward
 * over the probe replicated R' times with R' routing groups (C = ceil(c·n·T/E) per replica),
 * with taps on q|k|v, the attention output, every expert's h and y, and the objective Σ s_r
 * (2 per logit); backward to the taps only (no weight gradients, nothing below layer 0's q|k|v
 * output); per-sample gradients — heads as BERT, experts as masked token-layout products over
 * all N'·T tokens for each of the E experts (2·E·N'·T·((d+1)·dFF + (dFF+1)·d), plus the mask
 * multiplies); the Grams and a dense symmetric eigen-solve per module (≈ 9n³).
 */
export function switchEvaluationFlops(
  size: SwitchSize,
  n: number,
  projections: number,
): EvaluationFlops {
  const { seqLen: T, dModel: d, dFF: f, heads: H, layers: L, experts: E, vocab: V } = size;
  const Np = n * projections;
  const { matmul, ew, route, scatter, S } = forwardParts(size, {
    seqs: Np,
    groups: projections,
    headGroups: [],
  });
  const tokens = Np * T;
  const masked = maskCount(T);
  const dh = d / H;
  const taps = L * (tokens * 3 * d + tokens * d + S * f + S * d);
  const objective = 2 * Np * masked * V;
  const forward = matmul + ew + route + taps + objective;
  const attnBoth = L * 2 * 2 * Np * H * T * T * dh;
  const belowTap = 2 * tokens * (d + 1) * 3 * d + 2 * (tokens * d + LN * tokens * d);
  const backward = matmul + attnBoth + 2 * (ew + taps + objective) + scatter - belowTap;
  const perSample =
    L * (2 * tokens * (d + 1) * 3 * d + 2 * tokens * d * d) +
    L * (E * 2 * tokens * ((d + 1) * f + (f + 1) * d) + E * tokens * (d + 1 + d));
  const Ph = headParams(size);
  const Pe = expertParams(size);
  const gram =
    L * H * projections * (2 * n * n * Ph + n * n) + L * E * projections * (2 * n * n * Pe + n * n);
  const eigen = eigenFlops(L * (H + E), n);
  return evaluationTotal({ forward, backward, perSample, gram, eigen });
}
