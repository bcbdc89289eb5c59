import type { EvaluationFlops, StepFlops } from '../../flops';
import { LN, SOFTMAX, unchargedInputGrads } from '../../flops';
import type { ForwardFlops, StepLedger } from '../transformer/flops';
import {
  embedParams,
  headsOnPerLayer,
  ledgerStepFlops,
  mlmEvaluationFlops,
  mlmForward,
  mlmOptimizerFlops,
  mlmStepEvaluationFlops,
  mlmStepLedger,
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
 * Parameters always trained: the MLM head; the embeddings unless they are a module
 * (`selection.embed`); per layer the output-projection bias, both LayerNorms and the router
 * unless `selection.shared` gives them to the layer's heads and experts (`switchSharedParams`).
 */
export function switchBackboneParams(
  s: SwitchSize,
  selection: ModuleSelection = HEADS_ONLY,
): number {
  const { dModel: d, vocab: V, layers: L } = s;
  const parts = switchSharedParams(s);
  const perLayer = selection.shared ? 0 : parts.attention + parts.ffn;
  return (selection.embed ? 0 : embedParams(s)) + L * perLayer + d * d + d + 2 * d + V;
}

/**
 * A layer's parts that `shared` gives to its modules: the attention output bias and LayerNorm
 * (3d, with the heads), and the router and the FFN LayerNorm (d·E + 2d, with the experts).
 */
export function switchSharedParams(s: SwitchSize): { attention: number; ffn: number } {
  const { dModel: d, experts: E } = s;
  return { attention: 3 * d, ffn: d * E + 2 * d };
}

/** `updating` (module order: L·H heads, L·E experts, then E) read per part. */
export function switchPattern(
  size: SwitchSize,
  updating: readonly boolean[],
  selection: ModuleSelection = HEADS_ONLY,
): { headsOn: number[]; expertsOn: boolean[][]; embed: boolean } {
  const { layers: L, heads: H, experts: E } = size;
  const at = (m: number) => updating[m] ?? true;
  const expertsOn = Array.from({ length: L }, (_, l) =>
    Array.from({ length: E }, (_, e) => at(L * H + l * E + e)),
  );
  const embed = !selection.embed || at(L * H + L * E);
  return { headsOn: headsOnPerLayer(size, updating), expertsOn, embed };
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
 * Forward FLOPs of layer l's expert part over N tokens on S slots: the router and the experts on
 * their slots (matmuls); the router softmax, the gate coefficient Σ_e p ⊙ m, the load-balancing
 * loss and its sum over layers, ReLU, the gate multiply, residual and LayerNorm (differentiable
 * element-wise); and the off-tape routing.
 */
function expertsForward(
  size: SwitchSize,
  N: number,
  S: number,
  l: number,
): ForwardFlops & { router: number; route: number } {
  const { dModel: d, dFF: f, experts: E } = size;
  const router = 2 * N * d * E;
  const matmul = router + 2 * S * (d + 1) * f + 2 * S * (f + 1) * d;
  let ew = SOFTMAX * N * E; // router softmax
  ew += 2 * N * E; // gate coefficient Σ_e p ⊙ m
  ew += N * E + 2 * E + 1 + (l > 0 ? 1 : 0); // load-balancing loss and its sum over layers
  ew += S * f; // ReLU
  ew += N * d + N * d + LN * N * d; // gate multiply, residual, LayerNorm
  const route = ROUTE_PER_TOKEN_EXPERT * N * E + ROUTE_PER_TOKEN * N + ROUTE_PER_SLOT * S;
  return { matmul, elementwise: ew, router, route };
}

/**
 * Forward FLOPs of a pass, split into matmuls, differentiable element-wise ops (whose backward
 * costs twice as much), the off-tape routing, and the gather scatter-adds of the backward.
 */
function forwardParts(size: SwitchSize, p: Pass) {
  const { seqLen: T, dModel: d } = size;
  const B = p.seqs;
  const N = B * T;
  const { S } = switchSlots(size, B, p.groups);
  let route = 0;
  let scatter = 0;
  const pass = mlmForward(
    size,
    B,
    (l) => p.headGroups[l] ?? 1,
    (l) => {
      const x = expertsForward(size, N, S, l);
      route += x.route;
      scatter += N * d + S * d; // masks on the gradients of the dispatch and combine gathers
      return x;
    },
  );
  return { ...pass, route, scatter, S };
}

/**
 * One training step's FLOPs by part, matmuls apart (see `StepLedger`), and the optimizer's, on
 * `batch` sequences (one routing group). `updating[m]` in module order: L·H heads, then L·E
 * experts, then the embeddings when `selection.embed`. The loss is the masked-token
 * cross-entropy plus the load-balancing loss (one add). As for BERT, input gradients run only
 * where TF.js's tape needs them: with the embeddings frozen, the embeddings' backward, layer 0's
 * q|k|v input gradient and its frozen heads' backward drop out (the routers, biases and
 * LayerNorms above still train, so everything from layer 0's attention output up runs). With
 * `selection.shared` a layer's router and FFN LayerNorm train only while one of its experts is
 * updated (its attention bias and LayerNorm while one of its heads is), so a layer whose modules
 * are all frozen, with nothing under it trained, runs no backward (see `expertsStep`).
 */
export function switchStepLedger(
  size: SwitchSize,
  batch: number,
  updating: readonly boolean[],
  selection: ModuleSelection = HEADS_ONLY,
): { ledger: StepLedger; optimizer: number } {
  const N = batch * size.seqLen;
  const { C, S } = switchSlots(size, batch);
  const p = switchPattern(size, updating, selection);
  const shared = Boolean(selection.shared);
  let auxOnPath = false;
  const ledger = mlmStepLedger(
    size,
    batch,
    p.headsOn,
    p.embed,
    (part, l, below) => {
      const on = p.expertsOn[l]!.filter(Boolean).length;
      const r = expertsStep(part, size, { N, C, S, l }, { below, on, trained: !shared || on > 0 });
      auxOnPath ||= r.router;
      // Summing the layers' load-balancing losses: on the path once one of them is.
      if (l > 0 && auxOnPath) part.inputGrad.other += 2;
      return r.onPath;
    },
    shared,
  );
  ledger.forward.other += 1; // the loss adds the load-balancing loss
  ledger.inputGrad.other += 2;
  const experts = p.expertsOn.flat().filter(Boolean).length;
  const backbone = switchBackboneParams(size, selection);
  // The shared parts that train: a layer's attention bias and norm while one of its heads is
  // updated, its router and FFN norm while one of its experts is.
  const parts = switchSharedParams(size);
  const sharedTrained = shared
    ? p.headsOn.filter((h) => h > 0).length * parts.attention +
      p.expertsOn.filter((on) => on.some(Boolean)).length * parts.ffn
    : 0;
  const own = experts * expertParams(size) + sharedTrained;
  const optimizer = mlmOptimizerFlops(size, backbone, p.headsOn, own, selection.embed && p.embed);
  return { ledger, optimizer };
}

/**
 * Layer l's expert part in a step over N tokens on S = E·C slots, `on` of its E experts updated
 * (run as one updated and one frozen group), as TF.js's tape runs its backward:
 * - `trained`: the router and the FFN LayerNorm train (backbone, or with `shared` while one of
 *   the layer's experts is updated);
 * - `below`: the layer's input x needs a gradient (something under it trains).
 * The router's logits x·W_r, softmax, gate coefficient and load-balancing loss are on the path
 * iff `below` or the router trains (its weight gradient xᵀ·D from the gate and the loss; its
 * input gradient D·W_rᵀ iff `below`). The updated group's backward always runs its hidden
 * gradient D_y·W̃2ᵀ and both weight gradients; its slots' input gradient D_h·W̃1ᵀ, the frozen
 * group's whole backward and the dispatch gather's gradient (N·d) only iff `below`. The combine
 * gather's gradient (S·d) runs iff an expert's output needs one (`below` or one updated); the gate
 * multiply, residual and LayerNorm iff anything in or under the part trains.
 * @returns whether the part's output needs a gradient, and whether its router path runs.
 */
function expertsStep(
  part: StepLedger,
  size: SwitchSize,
  dims: { N: number; C: number; S: number; l: number },
  state: { below: boolean; on: number; trained: boolean },
): { onPath: boolean; router: boolean } {
  const { dModel: d, dFF: f, experts: E } = size;
  const { N, C, S, l } = dims;
  const { below, on, trained } = state;
  const x = expertsForward(size, N, S, l);
  part.forward.matmul += x.matmul;
  part.forward.other += x.elementwise + x.route;
  const w1 = (slots: number) => 2 * slots * (d + 1) * f;
  const w2 = (slots: number) => 2 * slots * (f + 1) * d;
  const router = below || trained;
  const onPath = router || on > 0;
  // Router logits' input gradient, and the slots' input gradient of both groups.
  if (below) part.inputGrad.matmul += x.router + w1(E * C) + w2(E * C);
  else part.inputGrad.matmul += w2(on * C); // the updated group's hidden gradient
  if (trained) part.weightGrad.matmul += x.router;
  part.weightGrad.matmul += w1(on * C) + w2(on * C);
  // Element-wise backward (twice the forward) of what is on the path; routing runs off the tape.
  if (router) part.inputGrad.other += 2 * (SOFTMAX * N * E + 2 * N * E + N * E + 2 * E + 1);
  part.inputGrad.other += 2 * (below ? E : on) * C * f; // ReLU
  if (below) part.inputGrad.other += N * d; // mask on the dispatch gather's gradient
  if (below || on > 0) part.inputGrad.other += S * d; // mask on the combine gather's gradient
  if (onPath) part.inputGrad.other += 2 * (N * d + N * d + LN * N * d); // gate ×, residual, LN
  if (trained) part.weightGrad.other += 2 * N * d; // LayerNorm gain and bias
  return { onPath, router };
}

/** FLOPs of one training step by part (see `switchStepLedger`). */
export function switchStepFlops(...args: Parameters<typeof switchStepLedger>): StepFlops {
  return ledgerStepFlops(switchStepLedger(...args));
}

/**
 * FLOPs of one mNTK evaluation over all heads and experts (see `fastSwitchKernels` and
 * `mlmEvaluationFlops`): the probe replicated R' times in R' routing groups
 * (C = ceil(c·n·T/E) per replica), with the off-tape routing and the gathers' masked gradients;
 * taps on every expert's h and y; per-sample gradients of the experts as masked token-layout
 * products over all N'·T tokens for each of the E experts (2·E·N'·T·((d+1)·dFF + (dFF+1)·d),
 * plus the mask multiplies), and their Grams.
 */
export function switchEvaluationFlops(
  size: SwitchSize,
  n: number,
  projections: number,
  selection: ModuleSelection = HEADS_ONLY,
): EvaluationFlops {
  const { seqLen: T, dModel: d, dFF: f, layers: L, experts: E } = size;
  const Np = n * projections;
  const { matmul, elementwise, route, scatter, S } = forwardParts(size, {
    seqs: Np,
    groups: projections,
    headGroups: [],
  });
  const tokens = Np * T;
  const experts = {
    taps: L * (S * f + S * d),
    perSample: L * (E * 2 * tokens * ((d + 1) * f + (f + 1) * d) + E * tokens * (d + 1 + d)),
    gram: L * E * projections * (2 * n * n * expertParams(size) + n * n),
    modules: L * E,
  };
  const pass = { matmul, elementwise, offTape: route, backwardOnly: scatter };
  return mlmEvaluationFlops(size, n, projections, selection.embed, pass, experts);
}

/**
 * FLOPs a 'step' evaluation (`stepSwitchKernels`) adds to its step on `batch` sequences, the
 * kernel taken on the first n, when modules `updating` are then updated (see
 * `mlmStepEvaluationFlops`): the experts' taps on h and y in slot layout (E·C slots of the batch's
 * routing group), and the per-sample products and Grams of a loss-kernel evaluation over n
 * sequences.
 */
export function switchStepEvaluationFlops(
  size: SwitchSize,
  batch: number,
  n: number,
  updating: boolean[],
  selection: ModuleSelection = HEADS_ONLY,
): EvaluationFlops {
  const { dModel: d, dFF: f, layers: L, seqLen: T, experts: E } = size;
  const { S } = switchSlots(size, batch);
  let uncharged = unchargedInputGrads((u) => switchStepFlops(size, batch, u, selection), updating);
  if (selection.shared) {
    // The pass also takes the gradients of every shared part (it runs before the decision);
    // the step charges only those that train: a layer's attention bias and norm (3 per token
    // and feature) when none of its heads is updated, its router's weight gradient (2·N·d·E)
    // and FFN norm (2 per token and feature) when none of its experts is.
    const p = switchPattern(size, updating, selection);
    const N = batch * T;
    uncharged += p.headsOn.filter((on) => on === 0).length * 3 * N * d;
    uncharged += p.expertsOn.filter((on) => !on.some(Boolean)).length * (2 * N * d * E + 2 * N * d);
  }
  const kernel = switchEvaluationFlops(size, n, 1, selection);
  return mlmStepEvaluationFlops(size, batch, selection.embed, L * S * (f + d), uncharged, kernel);
}
