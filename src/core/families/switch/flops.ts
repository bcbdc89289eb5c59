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
import type { StepLedger } from '../transformer/flops';
import {
  attentionForward,
  attentionStep,
  embedKernelFlops,
  embedParams,
  embeddingsStep,
  emptyLedger,
  headGroupsFor,
  headParams,
  mlmHeadStep,
  partTotal,
} from '../transformer/flops';
import type { ModuleSelection } from '../transformer/selection';
import { HEADS_ONLY } from '../transformer/selection';
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

/**
 * Parameters always trained: norms, output-projection biases, routers, MLM head, and the
 * embeddings unless they are a module (`selection.embed`).
 */
export function switchBackboneParams(
  s: SwitchSize,
  selection: ModuleSelection = HEADS_ONLY,
): number {
  const { dModel: d, vocab: V, layers: L, experts: E } = s;
  const perLayer = d + 2 * d + d * E + 2 * d;
  return (selection.embed ? 0 : embedParams(s)) + L * perLayer + d * d + d + 2 * d + V;
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

/**
 * One training step's FLOPs by part, matmuls apart (see `StepLedger`), and the optimizer's, on
 * `batch` sequences (one routing group). `updating[m]` in module order: L·H heads, then L·E
 * experts, then the embeddings when `selection.embed`. The loss is the masked-token
 * cross-entropy plus the load-balancing loss (one add). As for BERT, input gradients run only
 * where TF.js's tape needs them: with the embeddings frozen, the embeddings' backward, layer 0's
 * q|k|v input gradient and its frozen heads' backward drop out (the routers, biases and
 * LayerNorms above still train, so everything from layer 0's attention output up runs).
 */
export function switchStepLedger(
  size: SwitchSize,
  batch: number,
  updating: readonly boolean[],
  selection: ModuleSelection = HEADS_ONLY,
): { ledger: StepLedger; optimizer: number } {
  const { seqLen: T, dModel: d, dFF: f, vocab: V, heads: H, layers: L, experts: E } = size;
  const N = batch * T;
  const BM = batch * maskCount(T);
  const { C, S } = switchSlots(size, batch);
  const at = (m: number) => updating[m] ?? true;
  const embedTrained = !selection.embed || at(L * H + L * E);
  const ledger = emptyLedger();
  embeddingsStep(ledger, N, d, embedTrained);
  let heads = 0;
  let experts = 0;
  for (let l = 0; l < L; l++) {
    let on = 0;
    for (let h = 0; h < H; h++) if (at(l * H + h)) on++;
    heads += on;
    attentionStep(ledger, { B: batch, T, d, H }, headGroupsFor(on, H), l > 0 || embedTrained);
    // Router (backbone): its input and weight gradients always run.
    const router = 2 * N * d * E;
    const expertsMatmul = 2 * S * (d + 1) * f + 2 * S * (f + 1) * d;
    ledger.forward.matmul += router + expertsMatmul;
    ledger.inputGrad.matmul += router + expertsMatmul;
    ledger.weightGrad.matmul += router;
    let ew = SOFTMAX * N * E; // router softmax
    ew += 2 * N * E; // gate coefficient Σ_e p ⊙ m
    ew += N * E + 2 * E + 1 + (l > 0 ? 1 : 0); // load-balancing loss and its sum over layers
    ew += S * f; // ReLU
    ew += N * d + N * d + LN * N * d; // gate multiply, residual, LayerNorm
    const route = ROUTE_PER_TOKEN_EXPERT * N * E + ROUTE_PER_TOKEN * N + ROUTE_PER_SLOT * S;
    ledger.forward.other += ew + route;
    // Routing runs off the tape; the masks on the dispatch and combine gathers' gradients.
    ledger.inputGrad.other += 2 * ew + N * d + S * d;
    ledger.weightGrad.other += 2 * N * d; // LayerNorm gain and bias
    for (let e = 0; e < E; e++) {
      if (!at(L * H + l * E + e)) continue;
      experts++;
      ledger.weightGrad.matmul += 2 * C * (d + 1) * f + 2 * C * (f + 1) * d;
    }
  }
  mlmHeadStep(ledger, BM, d, V, embedTrained);
  ledger.forward.other += 1; // the loss adds the load-balancing loss
  ledger.inputGrad.other += 2;
  const params =
    switchBackboneParams(size, selection) +
    heads * headParams(size) +
    experts * expertParams(size) +
    (selection.embed && embedTrained ? embedParams(size) : 0);
  return { ledger, optimizer: ADAM_FLOPS_PER_PARAM * params };
}

/** FLOPs of one training step by part (see `switchStepLedger`). */
export function switchStepFlops(
  size: SwitchSize,
  batch: number,
  updating: readonly boolean[],
  selection: ModuleSelection = HEADS_ONLY,
): StepFlops {
  const { ledger, optimizer } = switchStepLedger(size, batch, updating, selection);
  return stepTotal({
    forward: partTotal(ledger.forward),
    inputGrad: partTotal(ledger.inputGrad),
    weightGrad: partTotal(ledger.weightGrad),
    optimizer,
  });
}

/**
 * FLOPs of one mNTK evaluation over all heads and experts (see `fastSwitchKernels`): forward
 * over the probe replicated R' times with R' routing groups (C = ceil(c·n·T/E) per replica),
 * with taps on q|k|v, the attention output, every expert's h and y, and the objective Σ s_r
 * (2 per logit); backward to the taps only (no weight gradients, nothing below layer 0's q|k|v
 * output); per-sample gradients — heads as BERT, experts as masked token-layout products over
 * all N'·T tokens for each of the E experts (2·E·N'·T·((d+1)·dFF + (dFF+1)·d), plus the mask
 * multiplies); the Grams and a dense symmetric eigen-solve per module (≈ 9n³). With the
 * embeddings a module: their taps (token + position sum, LayerNorm output, logits), the backward
 * down to the first of them (only the position add stays below), and their kernel as BERT's
 * (`embedKernelFlops`).
 */
export function switchEvaluationFlops(
  size: SwitchSize,
  n: number,
  projections: number,
  selection: ModuleSelection = HEADS_ONLY,
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
  let taps = L * (tokens * 3 * d + tokens * d + S * f + S * d);
  if (selection.embed) taps += 2 * tokens * d + Np * masked * V;
  const objective = 2 * Np * masked * V;
  const forward = matmul + ew + route + taps + objective;
  const attnBoth = L * 2 * 2 * Np * H * T * T * dh;
  const belowTap = selection.embed
    ? 2 * tokens * d
    : 2 * tokens * (d + 1) * 3 * d + 2 * (tokens * d + LN * tokens * d);
  const backward = matmul + attnBoth + 2 * (ew + taps + objective) + scatter - belowTap;
  let perSample =
    L * (2 * tokens * (d + 1) * 3 * d + 2 * tokens * d * d) +
    L * (E * 2 * tokens * ((d + 1) * f + (f + 1) * d) + E * tokens * (d + 1 + d));
  const Ph = headParams(size);
  const Pe = expertParams(size);
  let gram =
    L * H * projections * (2 * n * n * Ph + n * n) + L * E * projections * (2 * n * n * Pe + n * n);
  if (selection.embed) {
    const e = embedKernelFlops(size, n, projections, masked);
    perSample += e.perSample;
    gram += e.gram;
  }
  const eigen = eigenFlops(L * (H + E) + (selection.embed ? 1 : 0), n);
  return evaluationTotal({ forward, backward, perSample, gram, eigen });
}
