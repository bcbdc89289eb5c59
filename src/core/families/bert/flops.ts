import type { EvaluationFlops, StepFlops } from '../../flops';
import {
  ADAM_FLOPS_PER_PARAM,
  stepTotal,
  LN,
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
import type { BertSize } from './model';

interface Shape extends BertSize {
  /** Sequences in the batch. */
  batch: number;
  /** Masked positions per sequence. */
  masked: number;
}

const maskedOf = (T: number) => Math.max(1, Math.round(0.15 * T));

/** Forward FLOPs of the probe pass (one group of all heads), and the element-wise part. */
function forwardParts(s: Shape): { matmul: number; elementwise: number } {
  const { batch: B, seqLen: T, dModel: d, dFF: f, vocab: V, heads: H, layers: L } = s;
  const N = B * T;
  const BM = B * s.masked;
  let matmul = 0;
  let ew = N * d + LN * N * d; // position add, embedding LayerNorm
  for (let l = 0; l < L; l++) {
    const a = attentionForward(B, T, d, H, 1);
    matmul += a.matmul;
    ew += a.elementwise;
    matmul += 2 * N * d * f + 2 * N * f * d; // FFN
    ew += 2 * N * f + N * d + N * d + LN * N * d; // bias+ReLU, bias, residual, LayerNorm
  }
  matmul += 2 * BM * d * d + 2 * BM * d * V; // MLM transform, tied decoder
  ew += 2 * BM * d + LN * BM * d + BM * V + XENT * BM * V;
  return { matmul, elementwise: ew };
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
  const always = L * (d + 2 * d + 2 * d) + d * d + d + 2 * d + V;
  return always + (selection.ffn ? 0 : L * ffnParams(s)) + (selection.embed ? 0 : embedParams(s));
}

/** `updating` (module order: heads, then FFN blocks, then E) read per part. */
export function bertPattern(
  size: BertSize,
  updating: readonly boolean[],
  selection: ModuleSelection = HEADS_ONLY,
): { headsOn: number[]; ffn: boolean[]; embed: boolean } {
  const { layers: L, heads: H } = size;
  const at = (m: number) => updating[m] ?? true;
  const headsOn = Array.from({ length: L }, (_, l) => {
    let on = 0;
    for (let h = 0; h < H; h++) if (at(l * H + h)) on++;
    return on;
  });
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
  const { seqLen: T, dModel: d, dFF: f, vocab: V, heads: H, layers: L } = size;
  const N = batch * T;
  const BM = batch * maskedOf(T);
  const p = bertPattern(size, updating, selection);
  const ledger = emptyLedger();
  embeddingsStep(ledger, N, d, p.embed);
  for (let l = 0; l < L; l++) {
    const below = l > 0 || p.embed;
    attentionStep(ledger, { B: batch, T, d, H }, headGroupsFor(p.headsOn[l]!, H), below);
    const matmul = 2 * N * d * f + 2 * N * f * d;
    const ew = 2 * N * f + N * d + N * d + LN * N * d; // bias+ReLU, bias, residual, LayerNorm
    ledger.forward.matmul += matmul;
    ledger.forward.other += ew;
    ledger.inputGrad.matmul += matmul;
    ledger.inputGrad.other += 2 * ew;
    ledger.weightGrad.other += 2 * N * d; // LayerNorm gain and bias
    if (p.ffn[l]) {
      ledger.weightGrad.matmul += matmul;
      ledger.weightGrad.other += N * f + N * d; // b1, b2
    }
  }
  mlmHeadStep(ledger, BM, d, V, p.embed);
  const heads = p.headsOn.reduce((a, b) => a + b, 0);
  const ffns = selection.ffn ? p.ffn.filter(Boolean).length : 0;
  const params =
    backboneParams(size, selection) +
    heads * headParams(size) +
    ffns * ffnParams(size) +
    (selection.embed && p.embed ? embedParams(size) : 0);
  return { ledger, optimizer: ADAM_FLOPS_PER_PARAM * params };
}

/** FLOPs of one training step by part (see `bertStepLedger`). */
export function bertStepFlops(
  size: BertSize,
  batch: number,
  updating: readonly boolean[],
  selection: ModuleSelection = HEADS_ONLY,
): StepFlops {
  const { ledger, optimizer } = bertStepLedger(size, batch, updating, selection);
  return stepTotal({
    forward: partTotal(ledger.forward),
    inputGrad: partTotal(ledger.inputGrad),
    weightGrad: partTotal(ledger.weightGrad),
    optimizer,
  });
}

/**
 * FLOPs of one mNTK evaluation over all modules: the forward and backward pass over the probe
 * batch replicated R' times with taps on every module's outputs (gradients to the taps only, so
 * no weight gradients and nothing below the lowest tap: layer 0's q|k|v output, or with the
 * embeddings a module the token + position sum), the per-sample gradients X̃ᵢᵀDᵢ and ctxᵢᵀDᵢ
 * (and the FFN blocks' x̃ᵢᵀD^hᵢ, ãᵢᵀD^yᵢ), the Grams (the embeddings' from token pairs, see
 * `embedKernelFlops`), and a dense symmetric eigen-solve per module (≈ 9n³).
 */
export function bertEvaluationFlops(
  size: BertSize,
  n: number,
  projections: number,
  selection: ModuleSelection = HEADS_ONLY,
): EvaluationFlops {
  const masked = maskedOf(size.seqLen);
  const Np = n * projections;
  const s: Shape = { ...size, batch: Np, masked };
  const { matmul, elementwise } = forwardParts(s);
  const { seqLen: T, dModel: d, dFF: f, heads: H, layers: L, vocab: V } = size;
  const dh = d / H;
  const tokens = Np * T;
  let taps = L * (tokens * 3 * d + tokens * d);
  if (selection.ffn) taps += L * (tokens * f + tokens * d);
  if (selection.embed) taps += 2 * tokens * d + Np * masked * V;
  const objective = 2 * Np * masked * V;
  const forward = matmul + elementwise + taps + objective;
  const attnBoth = L * 2 * 2 * Np * H * T * T * dh;
  // Below the lowest tap: the position add, and without the embeddings' taps also their
  // LayerNorm and layer 0's q|k|v input gradient.
  const belowTap = selection.embed
    ? 2 * tokens * d
    : 2 * tokens * (d + 1) * 3 * d + 2 * (tokens * d + LN * tokens * d);
  const backward = matmul + attnBoth + 2 * (elementwise + taps + objective) - belowTap;
  let perSample = L * (2 * tokens * (d + 1) * 3 * d + 2 * tokens * d * d);
  const P = headParams(size);
  let gram = L * H * projections * 2 * n * n * P + L * H * projections * n * n;
  let modules = L * H;
  if (selection.ffn) {
    perSample += L * (2 * tokens * (d + 1) * f + 2 * tokens * (f + 1) * d);
    gram += L * projections * (2 * n * n * ffnParams(size) + n * n);
    modules += L;
  }
  if (selection.embed) {
    const e = embedKernelFlops(size, n, projections, masked);
    perSample += e.perSample;
    gram += e.gram;
    modules += 1;
  }
  const eigen = eigenFlops(modules, n);
  return evaluationTotal({ forward, backward, perSample, gram, eigen });
}
