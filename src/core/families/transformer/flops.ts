import { maskCount } from '../../data/mlm';
import type { EvaluationFlops, StepFlops } from '../../flops';
import {
  ADAM_FLOPS_PER_PARAM,
  LN,
  SOFTMAX,
  XENT,
  eigenFlops,
  evaluationTotal,
  stepTotal,
} from '../../flops';
import type { TransformerSize } from './model';

/**
 * Forward FLOPs of one attention sublayer over B sequences of T tokens, heads run in `groups`
 * groups: q|k|v with bias row, scores and context, output projection (matmuls); q scaling,
 * softmax, summing the groups' outputs, bias, residual and LayerNorm (element-wise).
 */
function attentionForward(
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

function emptyLedger(): StepLedger {
  const part = () => ({ matmul: 0, other: 0 });
  return { forward: part(), inputGrad: part(), weightGrad: part() };
}

const partTotal = (p: FlopPart): number => p.matmul + p.other;

/** All matmul FLOPs of a step: forward, input gradients and weight gradients. */
export const ledgerMatmuls = (l: StepLedger): number =>
  l.forward.matmul + l.inputGrad.matmul + l.weightGrad.matmul;

/** A step's FLOPs by part from its ledger and the optimizer's FLOPs. */
export function ledgerStepFlops(step: { ledger: StepLedger; optimizer: number }): StepFlops {
  const { ledger, optimizer } = step;
  return stepTotal({
    forward: partTotal(ledger.forward),
    inputGrad: partTotal(ledger.inputGrad),
    weightGrad: partTotal(ledger.weightGrad),
    optimizer,
  });
}

/**
 * The embeddings in a step over N tokens: the token gather (free), the position add and the
 * LayerNorm. Backward only when they train (`trained`: backbone, or the `embed` module updated):
 * then their input gradients and the position, token-scatter and LayerNorm gain/bias reductions.
 * Frozen, nothing below layer 0 is on TF.js's gradient path (the gather, tile and add read
 * nothing that needs a gradient), so none of it runs.
 */
function embeddingsStep(ledger: StepLedger, N: number, d: number, trained: boolean): void {
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
 * `below`: whether the sublayer's input needs a gradient (something under it trains);
 * `normTrained`: whether its output bias and LayerNorm train (backbone, or with `shared` while
 * one of the layer's heads is updated). Forward as `attentionForward`. Backward, as TF.js's tape
 * runs it: a group is on the gradient path iff `below` or it is updated; then its
 * output-projection input gradient, both operands of scores and context, q scaling and softmax
 * run, and the q|k|v input gradient iff `below`; its weight gradients iff updated. The bias,
 * residual, LayerNorm and the join of two groups are on the path iff anything in or under the
 * sublayer trains, with the bias and gain/bias reductions iff they train.
 * @returns whether the sublayer's output needs a gradient (anything in or under it trains).
 */
function attentionStep(
  ledger: StepLedger,
  dims: { B: number; T: number; d: number; H: number },
  groups: readonly HeadGroupFlops[],
  below: boolean,
  normTrained: boolean,
): boolean {
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
  const onPath = below || normTrained || groups.some((g) => g.updated);
  if (onPath) ledger.inputGrad.other += 2 * layer;
  if (normTrained) ledger.weightGrad.other += N * d + 2 * N * d; // output bias, LayerNorm gain and bias
  return onPath;
}

/**
 * Forward FLOPs of the MLM head on BM masked positions: the dense transform and the decoder tied
 * to the token embedding (matmuls); bias + ReLU, LayerNorm, decoder bias, cross-entropy.
 */
function mlmHeadForward(BM: number, d: number, V: number): { matmul: number; elementwise: number } {
  const matmul = 2 * BM * d * d + 2 * BM * d * V;
  const elementwise = 2 * BM * d + LN * BM * d + BM * V + XENT * BM * V;
  return { matmul, elementwise };
}

/**
 * The MLM head on BM masked positions: dense + ReLU, LayerNorm, the decoder tied to the token
 * embedding and its bias, the cross-entropy. Its weights always train, so the decoder's input
 * gradient and the element-wise backward always run; the dense's input gradient only when
 * something under the head trains (`below`); the decoder's weight gradient (into the token
 * embedding) only when the embeddings train.
 */
function mlmHeadStep(
  ledger: StepLedger,
  BM: number,
  d: number,
  V: number,
  embeddingsTrained: boolean,
  below: boolean,
): void {
  const { matmul, elementwise: ew } = mlmHeadForward(BM, d, V);
  ledger.forward.matmul += matmul;
  ledger.forward.other += ew;
  ledger.inputGrad.matmul += 2 * BM * d * V + (below ? 2 * BM * d * d : 0);
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
function embedKernelFlops(
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

/** Heads updated in each layer, `updating` in module order (heads L0.H0, L0.H1, … first). */
export function headsOnPerLayer(size: TransformerSize, updating: readonly boolean[]): number[] {
  const { layers: L, heads: H } = size;
  return Array.from({ length: L }, (_, l) => {
    let on = 0;
    for (let h = 0; h < H; h++) if (updating[l * H + h] ?? true) on++;
    return on;
  });
}

/**
 * Adam's FLOPs in a step: on the parameters always trained (`backbone`), the updated heads
 * (`headsOn` per layer), the family's own updated modules (`own` parameters), and the embeddings
 * when they are a module and updated (`embedModule`).
 */
export function mlmOptimizerFlops(
  size: TransformerSize,
  backbone: number,
  headsOn: readonly number[],
  own: number,
  embedModule: boolean,
): number {
  const heads = headsOn.reduce((a, b) => a + b, 0);
  const params = backbone + heads * headParams(size) + own + (embedModule ? embedParams(size) : 0);
  return ADAM_FLOPS_PER_PARAM * params;
}

/** Forward FLOPs of a part of a pass: matmuls, and differentiable element-wise ops. */
export interface ForwardFlops {
  matmul: number;
  elementwise: number;
}

/**
 * Forward FLOPs of a masked-language transformer's pass over B sequences: the embeddings'
 * position add and LayerNorm, per layer the attention sublayer (its heads in `headGroups(l)`
 * groups, see `attentionForward`) and the family's feed-forward part `ffn(l)`, and the MLM head
 * on the B·M masked positions.
 */
export function mlmForward(
  size: TransformerSize,
  B: number,
  headGroups: (l: number) => number,
  ffn: (l: number) => ForwardFlops,
): ForwardFlops {
  const { seqLen: T, dModel: d, vocab: V, heads: H, layers: L } = size;
  const N = B * T;
  let matmul = 0;
  let elementwise = N * d + LN * N * d; // position add, embedding LayerNorm
  for (let l = 0; l < L; l++) {
    const a = attentionForward(B, T, d, H, headGroups(l));
    const f = ffn(l);
    matmul += a.matmul + f.matmul;
    elementwise += a.elementwise + f.elementwise;
  }
  const head = mlmHeadForward(B * maskCount(T), d, V);
  return { matmul: matmul + head.matmul, elementwise: elementwise + head.elementwise };
}

/**
 * A masked-language transformer's step ledger over `batch` sequences: the embeddings (trained
 * or not: `embeddingsTrained`), per layer the attention sublayer with `headsOn[l]` of its heads
 * updated (as `headGroupsFor` groups them; its input needs a gradient when anything under it
 * trains; its output bias and LayerNorm train unless `shared` and none of its heads is updated)
 * and then the family's feed-forward part (`ffn(ledger, l, below)` adds it, `below`: whether
 * its input needs a gradient; it returns whether anything in or under it trains), and the MLM
 * head (its dense's input gradient only when anything under it trains).
 */
export function mlmStepLedger(
  size: TransformerSize,
  batch: number,
  headsOn: readonly number[],
  embeddingsTrained: boolean,
  ffn: (ledger: StepLedger, l: number, below: boolean) => boolean,
  shared = false,
): StepLedger {
  const { seqLen: T, dModel: d, vocab: V, heads: H, layers: L } = size;
  const ledger = emptyLedger();
  embeddingsStep(ledger, batch * T, d, embeddingsTrained);
  let below = embeddingsTrained;
  for (let l = 0; l < L; l++) {
    const groups = headGroupsFor(headsOn[l]!, H);
    below = attentionStep(ledger, { B: batch, T, d, H }, groups, below, !shared || headsOn[l]! > 0);
    below = ffn(ledger, l, below);
  }
  mlmHeadStep(ledger, batch * maskCount(T), d, V, embeddingsTrained, below);
  return ledger;
}

/** The probe pass of an mNTK evaluation: its forward, and what only some families add. */
export interface ProbePassFlops extends ForwardFlops {
  /** Forward work off the gradient tape (no backward). */
  offTape?: number;
  /** Backward work with no forward counterpart. */
  backwardOnly?: number;
}

/** What a family's own modules add to an evaluation: taps, per-sample products, Grams, count. */
export interface OwnModuleFlops {
  taps: number;
  perSample: number;
  gram: number;
  modules: number;
}

/** No modules of the family's own kinds (BERT with heads only). */
export const NO_OWN_MODULES: OwnModuleFlops = { taps: 0, perSample: 0, gram: 0, modules: 0 };

/**
 * FLOPs of one mNTK evaluation of a masked-language transformer over n probe samples and R'
 * scalar functions (`projections`): the forward `pass` over the probe replicated R' times
 * (N' = n·R' sequences) with taps on every head's q|k|v and attention output, the family's own
 * modules' taps (`own`), and, with the embeddings a module (`embed`), theirs (token + position
 * sum, LayerNorm output, logits); the objective Σ s_r (2 per logit); the backward to the taps
 * only (no weight gradients; the attention's scores and context with both operands; nothing below
 * the lowest tap: layer 0's q|k|v output, or with the embeddings the token + position sum); the
 * heads' per-sample gradients X̃ᵢᵀDᵢ and ctxᵢᵀDᵢ, the embeddings' kernel (`embedKernelFlops`)
 * and the family's own; the Grams; a dense symmetric eigen-solve per module (≈ 9n³).
 */
export function mlmEvaluationFlops(
  size: TransformerSize,
  n: number,
  projections: number,
  embed: boolean,
  pass: ProbePassFlops,
  own: OwnModuleFlops,
): EvaluationFlops {
  const { seqLen: T, dModel: d, heads: H, layers: L, vocab: V } = size;
  const masked = maskCount(T);
  const Np = n * projections;
  const dh = d / H;
  const tokens = Np * T;
  let taps = L * (tokens * 3 * d + tokens * d) + own.taps;
  if (embed) taps += 2 * tokens * d + Np * masked * V;
  const objective = 2 * Np * masked * V;
  const { matmul, elementwise, offTape = 0, backwardOnly = 0 } = pass;
  const forward = matmul + elementwise + offTape + taps + objective;
  const attnBoth = L * 2 * 2 * Np * H * T * T * dh;
  // Below the lowest tap: the position add, and without the embeddings' taps also their
  // LayerNorm and layer 0's q|k|v input gradient.
  const belowTap = embed
    ? 2 * tokens * d
    : 2 * tokens * (d + 1) * 3 * d + 2 * (tokens * d + LN * tokens * d);
  const backward =
    matmul + attnBoth + 2 * (elementwise + taps + objective) + backwardOnly - belowTap;
  let perSample = L * (2 * tokens * (d + 1) * 3 * d + 2 * tokens * d * d) + own.perSample;
  let gram = L * H * projections * (2 * n * n * headParams(size) + n * n) + own.gram;
  if (embed) {
    const e = embedKernelFlops(size, n, projections, masked);
    perSample += e.perSample;
    gram += e.gram;
  }
  const eigen = eigenFlops(L * H + own.modules + (embed ? 1 : 0), n);
  return evaluationTotal({ forward, backward, perSample, gram, eigen });
}

/**
 * FLOPs a 'step' evaluation (`stepBertKernels`) adds to its training step on `batch` sequences
 * when modules `updating` are then updated: what that step's pass computes beyond the step as
 * charged, and the kernel itself.
 * - forward: the tap adds, 1 per element of every tap over the batch (`tapsPerBatch`: heads'
 *   q|k|v and attention output, the family's own modules', with the embeddings a module their
 *   token + position sum, LayerNorm output and logits);
 * - backward: the tap adds (2 per element), and the input gradients the charged step would not
 *   compute (`uncharged`, see `unchargedInputGrads`): the pass runs every layer's heads as one
 *   group down to the lowest tap. The modules' weight gradients are the charged step's own, taken
 *   after the decision for the updated modules only;
 * - per-sample products, Grams and eigen-decompositions of the first n sequences: those of a
 *   loss-kernel evaluation over n samples (`kernel`: the family's evaluation FLOPs with R' = 1),
 *   whose Gram count includes the n² of the weight (B² here).
 */
export function mlmStepEvaluationFlops(
  size: TransformerSize,
  batch: number,
  embed: boolean,
  ownTaps: number,
  uncharged: number,
  kernel: EvaluationFlops,
): EvaluationFlops {
  const { seqLen: T, dModel: d, layers: L, vocab: V } = size;
  const tokens = batch * T;
  let taps = L * (tokens * 3 * d + tokens * d) + ownTaps;
  if (embed) taps += 2 * tokens * d + batch * maskCount(T) * V;
  return evaluationTotal({
    forward: taps,
    backward: 2 * taps + uncharged,
    perSample: kernel.perSample,
    gram: kernel.gram,
    eigen: kernel.eigen,
  });
}
