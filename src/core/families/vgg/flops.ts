import type { EvaluationFlops, StepFlops } from '../../flops';
import {
  ADAM_FLOPS_PER_PARAM,
  XENT,
  eigenFlops,
  evaluationTotal,
  stepTotal,
  unchargedInputGrads,
} from '../../flops';
import type { ConvShape, FcShape, VggSize } from './model';
import { filterGroupParams, unitGroupParams, vggLayout } from './model';

/**
 * Analytic FLOPs of the small VGG (docs/method.md, "FLOP accounting"), per the conventions of
 * `flops.ts`, made concrete for convolutions:
 * - a 3 × 3 same-padded conv on an S × S map costs 2·S²·9·cin·cout per sample (border taps that
 *   read padding are counted: the kernels compute them); its input gradient (a transposed
 *   conv) and its filter gradient cost the same 2·S²·9·cin·cout each, the latter per group
 *   2·S²·9·cin·g; a bias gradient is a sum over the N·S² positions, N·S² per channel;
 * - bias add and ReLU 1 per element, a 2 × 2 max-pool 3 per output (comparisons), the
 *   cross-entropy 6 per logit; the backward of each of these costs twice its forward;
 * - a dense layer [cin, w] (a hidden classifier stage, the output layer): 2·cin·w per sample
 *   forward, again for its input gradient and for its weight gradient, w for its bias;
 * - concatenations, slices, gathers (channel permutations) and reshapes cost nothing;
 * - Adam 12 per updated parameter.
 *
 * Backward rule. With e the earliest conv layer that has an updated group, the backward pass
 * runs through every op whose output depends on an updated parameter: the output layer and the
 * loss always (the output layer is always trained); ReLU, bias add and the following pool of
 * every layer l ≥ e; the input gradient of conv l only for l > e (conv e's input does not
 * depend on any trained parameter, nor does anything before it). A hidden classifier stage
 * (`fc`) runs its ReLU and bias backward iff it or anything under it has an updated group, its
 * input gradient iff anything under it does (split into an updated and a frozen part: one
 * add of the parts' input gradients, cin per sample); the output layer's input gradient iff
 * any module is updated. Weight gradients: the output layer and the updated groups only.
 * This is what TF.js does: it prunes every gradient not on a path from a trained variable.
 * Both of SmallVgg's conv implementations execute exactly these multiply-adds: `conv2d`
 * (Conv2DBackpropFilter) and `im2col` (dW = Pᵀ·dz, 2·S²·9·cin·g per sample, patches copied);
 * pruning-vgg.test.ts checks both against tf.profile.
 */

/** Per-sample forward FLOPs of conv layer c: the conv itself and bias + ReLU (+ pool). */
function convForward(c: ConvShape): { conv: number; elementwise: number } {
  const S2 = c.side * c.side;
  const pooled = Math.floor(c.side / 2) ** 2;
  return {
    conv: 2 * S2 * 9 * c.cin * c.cout,
    elementwise: 2 * S2 * c.cout + (c.poolAfter ? 3 * pooled * c.cout : 0),
  };
}

/** Parameters of every filter group of conv layer `layer`. */
export function vggGroupParams(size: VggSize, layer: number): number {
  const c = vggLayout(size).convs[layer];
  if (!c) throw new RangeError(`No conv layer ${layer}.`);
  return filterGroupParams(c, size.groupSize);
}

/** Parameters always trained: the output layer logitsIn·k + k. */
export function vggBackboneParams(size: VggSize): number {
  return vggLayout(size).logitsIn * size.classes + size.classes;
}

/** Parameters of every unit group of hidden classifier stage `stage`. */
export function vggUnitGroupParams(size: VggSize, stage: number): number {
  const f = vggLayout(size).fcs[stage];
  if (!f) throw new RangeError(`No classifier stage ${stage}.`);
  return unitGroupParams(f, size.groupSize);
}

/** Per-sample forward FLOPs of a hidden classifier stage: the matmul, and bias + ReLU. */
function fcForward(f: FcShape): { matmul: number; elementwise: number } {
  return { matmul: 2 * f.cin * f.cout, elementwise: 2 * f.cout };
}

/**
 * FLOPs of one training step on `batch` images. `updating[m]` per module in model order
 * (C0.G0, C0.G1, …, C1.G0, …).
 */
export function vggStepFlops(size: VggSize, batch: number, updating: boolean[]): StepFlops {
  const { convs, fcs, logitsIn } = vggLayout(size);
  const k = size.classes;
  const g = size.groupSize;
  const total = [...convs, ...fcs].reduce((a, c) => a + c.groups, 0);
  if (updating.length !== total)
    throw new RangeError(`Expected ${total} decisions, got ${updating.length}.`);
  const updatedPerLayer: number[] = [];
  let m = 0;
  for (const c of [...convs, ...fcs]) {
    let u = 0;
    for (let q = 0; q < c.groups; q++) if (updating[m++]) u++;
    updatedPerLayer.push(u);
  }
  const e = updatedPerLayer.slice(0, convs.length).findIndex((u) => u > 0);
  let forward = 0;
  let inputGrad = 0;
  let weightGrad = 0;
  let params = vggBackboneParams(size);
  convs.forEach((c, l) => {
    const { conv, elementwise } = convForward(c);
    forward += conv + elementwise;
    if (e >= 0 && l >= e) inputGrad += 2 * elementwise;
    if (e >= 0 && l > e) inputGrad += conv;
    const S2 = c.side * c.side;
    const u = updatedPerLayer[l]!;
    weightGrad += u * (2 * S2 * 9 * c.cin * g + S2 * g);
    params += u * filterGroupParams(c, g);
  });
  // Whether anything under the current point has an updated group.
  let below = e >= 0;
  fcs.forEach((f, s) => {
    const { matmul, elementwise } = fcForward(f);
    const u = updatedPerLayer[convs.length + s]!;
    forward += matmul + elementwise;
    if (below || u > 0) inputGrad += 2 * elementwise;
    if (below) inputGrad += matmul + (u > 0 && u < f.groups ? f.cin : 0);
    weightGrad += u * (2 * f.cin * g + g);
    params += u * unitGroupParams(f, g);
    below ||= u > 0;
  });
  forward += 2 * logitsIn * k + k + XENT * k;
  inputGrad += 2 * (k + XENT * k) + (below ? 2 * logitsIn * k : 0);
  weightGrad += 2 * logitsIn * k + k;
  const out = {
    forward: batch * forward,
    inputGrad: batch * inputGrad,
    weightGrad: batch * weightGrad,
    optimizer: ADAM_FLOPS_PER_PARAM * params,
  };
  return stepTotal(out);
}

/**
 * FLOPs of one mNTK evaluation over all filter groups (`fastFilterGroupKernels`), probe of n
 * images replicated R' = `projections` times (N = R'·n rows):
 * - forward: the whole network on N rows, plus the zero-tap adds (1 per pre-activation
 *   element) and the objective (trace: 2k per row, multiply by the projection and sum; loss:
 *   the cross-entropy, 6k);
 * - backward to the taps only: the objective, the classifier's input gradient, every pool and
 *   ReLU, the tap adds, the bias adds of layers ≥ 1 (conv 0's output does not depend on a tap)
 *   and the input gradients of convs 1 … L−1 — no weight gradient, nothing below tap 0;
 * - patches: copies, 0;
 * - per-sample gradients P̃ᵀD: 2·S²·(9·cin + 1)·cout per row and layer;
 * - Grams: per group and projection 2·n²·P (P = (9·cin + 1)·g) plus n² to sum over R';
 * - eigen-decomposition: ≈ 9n³ per module (dense symmetric solver).
 */
export function vggEvaluationFlops(
  size: VggSize,
  n: number,
  projections: number,
  kernel: 'trace' | 'loss' = 'trace',
): EvaluationFlops {
  const { convs, fcs, logitsIn } = vggLayout(size);
  const k = size.classes;
  const g = size.groupSize;
  const N = n * projections;
  const objective = kernel === 'loss' ? XENT * k : 2 * k;
  let fwd = 2 * logitsIn * k + k + objective;
  let bwd = 2 * objective + 2 * k + 2 * logitsIn * k;
  let perSample = 0;
  let gram = 0;
  let modules = 0;
  convs.forEach((c, l) => {
    const { conv, elementwise } = convForward(c);
    const S2 = c.side * c.side;
    const tap = S2 * c.cout;
    fwd += conv + elementwise + tap;
    // ReLU + pool (in `elementwise` minus the bias add), the tap add, and for l ≥ 1 the bias add.
    bwd += 2 * (elementwise - tap) + 2 * tap + (l >= 1 ? 2 * tap + conv : 0);
    perSample += 2 * S2 * (9 * c.cin + 1) * c.cout;
    const P = (9 * c.cin + 1) * g;
    gram += c.groups * projections * (2 * n * n * P + n * n);
    modules += c.groups;
  });
  fcs.forEach((f) => {
    const { matmul, elementwise } = fcForward(f);
    // Forward with the tap add; backward through ReLU, tap and bias adds, and the input
    // gradient (the conv taps lie below).
    fwd += matmul + elementwise + f.cout;
    bwd += 2 * (elementwise + f.cout) + matmul;
    gram += unitGroupGramFlops(f, g, n, projections);
    modules += f.groups;
  });
  return evaluationTotal({
    forward: N * fwd,
    backward: N * bwd,
    perSample: N * perSample,
    gram,
    eigen: eigenFlops(modules, n),
  });
}

/**
 * The Grams of a hidden classifier stage's unit groups (`unitGroupGrams`) over n samples and
 * R' projections: XXᵀ + 1 once (2·n²·cin + n²), per group and projection DDᵀ (2·n²·g) and the
 * sum over R' (n²), and the product with XXᵀ (n²). No per-sample gradients: the kernel of an
 * outer product is the product of the two Grams.
 */
function unitGroupGramFlops(f: FcShape, g: number, n: number, projections: number): number {
  const n2 = n * n;
  return 2 * n2 * f.cin + n2 + f.groups * (projections * (2 * n2 * g + n2) + n2);
}

/**
 * FLOPs a 'step' evaluation (`stepFilterGroupKernels`) adds to its training step on `batch`
 * images when modules `updating` are then updated: what that step's pass computes beyond the
 * step as charged (`vggStepFlops(updating)`), and the kernel itself.
 * - forward: the tap adds, 1 per pre-activation element of the batch;
 * - backward: the pass to the taps and the classifier is the all-updated step's backward
 *   (`vggStepFlops(all)`, e = 0) with the tap adds (2 per element) and without the bias add of
 *   conv 0 (no tap lies below it); minus the charged step's input gradients. The filter
 *   gradients are the charged step's own: taken after the decision, only for updated groups;
 * - per-sample gradients P̃ᵀD for the first n images: 2·S²·(9·cin + 1)·cout per image and layer
 *   (patches: copies);
 * - Grams: per group 2·n²·P (P = (9·cin + 1)·g) and n² for the weight B²;
 * - eigen-decomposition: ≈ 9n³ per module.
 */
export function vggStepEvaluationFlops(
  size: VggSize,
  batch: number,
  n: number,
  updating: boolean[],
): EvaluationFlops {
  const { convs, fcs } = vggLayout(size);
  const g = size.groupSize;
  let taps = 0;
  let perSample = 0;
  let gram = 0;
  let modules = 0;
  convs.forEach((c) => {
    const S2 = c.side * c.side;
    taps += S2 * c.cout;
    perSample += 2 * S2 * (9 * c.cin + 1) * c.cout;
    gram += c.groups * (2 * n * n * (9 * c.cin + 1) * g + n * n);
    modules += c.groups;
  });
  fcs.forEach((f) => {
    taps += f.cout;
    // One replica; the weight B² (n² per group).
    gram += unitGroupGramFlops(f, g, n, 1) + f.groups * n * n;
    modules += f.groups;
  });
  const c0 = convs[0]!;
  const bias0 = 2 * c0.side * c0.side * c0.cout;
  return evaluationTotal({
    forward: batch * taps,
    backward:
      batch * (2 * taps - bias0) +
      unchargedInputGrads((u) => vggStepFlops(size, batch, u), updating),
    perSample: n * perSample,
    gram,
    eigen: eigenFlops(modules, n),
  });
}
