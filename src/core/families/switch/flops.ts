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
 * LayerNorms above still train, so everything from layer 0's attention output up runs).
 */
export function switchStepLedger(
  size: SwitchSize,
  batch: number,
  updating: readonly boolean[],
  selection: ModuleSelection = HEADS_ONLY,
): { ledger: StepLedger; optimizer: number } {
  if (selection.shared) {
    throw new RangeError(
      'The Switch Transformer keeps its biases, norms and routers in the backbone.',
    );
  }
  const { seqLen: T, dModel: d, dFF: f, heads: H, layers: L, experts: E } = size;
  const N = batch * T;
  const { C, S } = switchSlots(size, batch);
  const at = (m: number) => updating[m] ?? true;
  const embedTrained = !selection.embed || at(L * H + L * E);
  const headsOn = headsOnPerLayer(size, updating);
  let experts = 0;
  const ledger = mlmStepLedger(size, batch, headsOn, embedTrained, (part, l) => {
    const x = expertsForward(size, N, S, l);
    part.forward.matmul += x.matmul;
    part.inputGrad.matmul += x.matmul;
    // Router (backbone): its input and weight gradients always run.
    part.weightGrad.matmul += x.router;
    part.forward.other += x.elementwise + x.route;
    // Routing runs off the tape; the masks on the dispatch and combine gathers' gradients.
    part.inputGrad.other += 2 * x.elementwise + N * d + S * d;
    part.weightGrad.other += 2 * N * d; // LayerNorm gain and bias
    for (let e = 0; e < E; e++) {
      if (!at(L * H + l * E + e)) continue;
      experts++;
      part.weightGrad.matmul += 2 * C * (d + 1) * f + 2 * C * (f + 1) * d;
    }
    // The router and LayerNorm train (backbone), so what is above always needs a gradient.
    return true;
  });
  ledger.forward.other += 1; // the loss adds the load-balancing loss
  ledger.inputGrad.other += 2;
  const backbone = switchBackboneParams(size, selection);
  const own = experts * expertParams(size);
  const optimizer = mlmOptimizerFlops(
    size,
    backbone,
    headsOn,
    own,
    selection.embed && embedTrained,
  );
  return { ledger, optimizer };
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
  const { dModel: d, dFF: f, layers: L } = size;
  const { S } = switchSlots(size, batch);
  const uncharged = unchargedInputGrads(
    (u) => switchStepFlops(size, batch, u, selection),
    updating,
  );
  const kernel = switchEvaluationFlops(size, n, 1, selection);
  return mlmStepEvaluationFlops(size, batch, selection.embed, L * S * (f + d), uncharged, kernel);
}
