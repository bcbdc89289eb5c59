import type { EvaluationFlops, StepFlops } from '../../flops';
import { LN, unchargedInputGrads } from '../../flops';
import type { ForwardFlops } from '../transformer/flops';
import {
  NO_OWN_MODULES,
  embedParams,
  headsOnPerLayer,
  ledgerStepFlops,
  mlmEvaluationFlops,
  mlmForward,
  mlmOptimizerFlops,
  mlmStepEvaluationFlops,
  mlmStepLedger,
} from '../transformer/flops';
import type { StepLedger } from '../transformer/flops';
import type { ModuleSelection } from '../transformer/selection';
import { HEADS_ONLY } from '../transformer/selection';
import type { BertSize } from './model';

/** Forward FLOPs of an FFN block over N tokens: matmuls; bias+ReLU, bias, residual, LayerNorm. */
function ffnForward(N: number, d: number, f: number): ForwardFlops {
  const matmul = 2 * N * d * f + 2 * N * f * d;
  const elementwise = 2 * N * f + N * d + N * d + LN * N * d;
  return { matmul, elementwise };
}

/** Parameters of one FFN block: W1, b1, W2, b2. */
export function ffnParams(s: Pick<BertSize, 'dModel' | 'dFF'>): number {
  return 2 * s.dModel * s.dFF + s.dFF + s.dModel;
}

/**
 * Parameters always trained: per layer the output-projection bias and both LayerNorms, the MLM
 * head; the FFNs and the embeddings too unless they are modules (`selection`).
 */
export function backboneParams(s: BertSize, selection: ModuleSelection = HEADS_ONLY): number {
  const { dModel: d, vocab: V, layers: L } = s;
  const norms = L * (sharedAttentionParams(s, selection) + sharedFfnParams(s, selection));
  const always = L * (d + 2 * d + 2 * d) - norms + d * d + d + 2 * d + V;
  return always + (selection.ffn ? 0 : L * ffnParams(s)) + (selection.embed ? 0 : embedParams(s));
}

/** A layer's attention output bias and LayerNorm when `shared` gives them to its heads, else 0. */
function sharedAttentionParams(s: BertSize, selection: ModuleSelection): number {
  return selection.shared ? 3 * s.dModel : 0;
}

/** A layer's FFN LayerNorm when `shared` gives it to its FFN block, else 0. */
function sharedFfnParams(s: BertSize, selection: ModuleSelection): number {
  return selection.shared && selection.ffn ? 2 * s.dModel : 0;
}

/** `updating` (module order: heads, then FFN blocks, then E) read per part. */
export function bertPattern(
  size: BertSize,
  updating: readonly boolean[],
  selection: ModuleSelection = HEADS_ONLY,
): { headsOn: number[]; ffn: boolean[]; embed: boolean } {
  const { layers: L, heads: H } = size;
  const at = (m: number) => updating[m] ?? true;
  const headsOn = headsOnPerLayer(size, updating);
  const ffn = Array.from({ length: L }, (_, l) => !selection.ffn || at(L * H + l));
  const embed = !selection.embed || at(L * H + (selection.ffn ? L : 0));
  return { headsOn, ffn, embed };
}

/**
 * One training step's FLOPs by part, matmuls apart (see `StepLedger`), and the optimizer's.
 * `updating[m]` in module order (heads L0.H0, L0.H1, …, then the FFN blocks and the embeddings
 * when `selection` makes them modules). Each layer runs its heads as one group, or two when some
 * but not all are updated (`headGroups`). Input gradients run only where TF.js's tape needs them:
 * with the embeddings frozen nothing below layer 0's attention bias and LayerNorm has a gradient
 * to pass on, so the embeddings' backward, layer 0's q|k|v input gradient and its frozen heads'
 * whole backward drop out; weight gradients and Adam only for what trains (the tied decoder's
 * into the token embedding included).
 */
export function bertStepLedger(
  size: BertSize,
  batch: number,
  updating: readonly boolean[],
  selection: ModuleSelection = HEADS_ONLY,
): { ledger: StepLedger; optimizer: number } {
  const { seqLen: T, dModel: d, dFF: f } = size;
  const N = batch * T;
  const p = bertPattern(size, updating, selection);
  const ledger = mlmStepLedger(
    size,
    batch,
    p.headsOn,
    p.embed,
    (part, l, below) => {
      const { matmul, elementwise: ew } = ffnForward(N, d, f);
      const trained = p.ffn[l]!;
      // The LayerNorm after the block trains as backbone, or with `shared` with the block.
      const norm = !(selection.shared && selection.ffn) || trained;
      part.forward.matmul += matmul;
      part.forward.other += ew;
      // The hidden layer's gradient dy·W2ᵀ when W1 trains or the input needs one; the input's
      // dh·W1ᵀ only when it does.
      if (below || trained) part.inputGrad.matmul += 2 * N * f * d;
      if (below) part.inputGrad.matmul += 2 * N * d * f;
      const onPath = below || trained || norm;
      if (onPath) part.inputGrad.other += 2 * ew;
      if (norm) part.weightGrad.other += 2 * N * d; // LayerNorm gain and bias
      if (trained) {
        part.weightGrad.matmul += matmul;
        part.weightGrad.other += N * f + N * d; // b1, b2
      }
      return onPath;
    },
    selection.shared,
  );
  const ffns = selection.ffn ? p.ffn.filter(Boolean).length : 0;
  const backbone = backboneParams(size, selection);
  // The shared parts that train: a layer's attention bias and norm while one of its heads is
  // updated, its FFN norm with its block.
  const shared =
    p.headsOn.filter((on) => on > 0).length * sharedAttentionParams(size, selection) +
    ffns * sharedFfnParams(size, selection);
  const own = ffns * ffnParams(size) + shared;
  const optimizer = mlmOptimizerFlops(size, backbone, p.headsOn, own, selection.embed && p.embed);
  return { ledger, optimizer };
}

/** FLOPs of one training step by part (see `bertStepLedger`). */
export function bertStepFlops(...args: Parameters<typeof bertStepLedger>): StepFlops {
  return ledgerStepFlops(bertStepLedger(...args));
}

/**
 * FLOPs of one mNTK evaluation over all modules (see `mlmEvaluationFlops`): the probe pass runs
 * every layer's heads as one group; with the FFN blocks as modules, their taps (hidden and
 * output), per-sample gradients x̃ᵢᵀD^hᵢ and ãᵢᵀD^yᵢ, and Grams.
 */
export function bertEvaluationFlops(
  size: BertSize,
  n: number,
  projections: number,
  selection: ModuleSelection = HEADS_ONLY,
): EvaluationFlops {
  const { seqLen: T, dModel: d, dFF: f, layers: L } = size;
  const Np = n * projections;
  const tokens = Np * T;
  const pass = mlmForward(
    size,
    Np,
    () => 1,
    () => ffnForward(tokens, d, f),
  );
  const ffns = selection.ffn
    ? {
        taps: L * (tokens * f + tokens * d),
        perSample: L * (2 * tokens * (d + 1) * f + 2 * tokens * (f + 1) * d),
        gram: L * projections * (2 * n * n * ffnParams(size) + n * n),
        modules: L,
      }
    : NO_OWN_MODULES;
  return mlmEvaluationFlops(size, n, projections, selection.embed, pass, ffns);
}

/**
 * FLOPs a 'step' evaluation adds to its step on `batch` sequences, the kernel taken on the first
 * n, when modules `updating` are then updated (see `mlmStepEvaluationFlops`); with the FFN blocks
 * modules, their taps on h and the output (dFF + d per token).
 */
export function bertStepEvaluationFlops(
  size: BertSize,
  batch: number,
  n: number,
  updating: boolean[],
  selection: ModuleSelection = HEADS_ONLY,
): EvaluationFlops {
  const { seqLen: T, dModel: d, dFF: f, layers: L } = size;
  const ownTaps = selection.ffn ? L * batch * T * (f + d) : 0;
  let uncharged = unchargedInputGrads((u) => bertStepFlops(size, batch, u, selection), updating);
  if (selection.shared) {
    // The pass also takes the gradients of every shared part (it runs before the decision);
    // the step charges only those that train: a layer's attention bias and norm (3 per token
    // and feature) when none of its heads is updated, its FFN norm (2) when its block is frozen.
    const p = bertPattern(size, updating, selection);
    const N = batch * T;
    uncharged += p.headsOn.filter((on) => on === 0).length * 3 * N * d;
    if (selection.ffn) uncharged += p.ffn.filter((on) => !on).length * 2 * N * d;
  }
  const kernel = bertEvaluationFlops(size, n, 1, selection);
  return mlmStepEvaluationFlops(size, batch, selection.embed, ownTaps, uncharged, kernel);
}
