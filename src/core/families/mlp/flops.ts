import type { EvaluationFlops, StepFlops } from '../../flops';
import {
  ADAM_FLOPS_PER_PARAM,
  stepTotal,
  XENT,
  eigenFlopsOf,
  evaluationTotal,
  unchargedInputGrads,
} from '../../flops';
import type { MlpSize } from './model';
import { fanIn } from './model';
import type { NeuronMatrixMode } from './kernel';

/**
 * Analytic FLOPs of the classroom MLP, with the conventions of flops.ts: a matmul
 * [m, k]·[k, n] costs 2·m·k·n; an element-wise op 1 per output element (activation, bias add,
 * tap add; cross-entropy 6 per logit); its backward twice that; concat, stack, slice, tile and
 * the column permutation of a split layer are data movement and cost nothing; Adam 12 per
 * updated parameter. Hidden layer l computes z_l = x̃_l W_l with x̃_l = [h_{l−1}, 1], so its
 * matmul has inner size fanIn_l + 1 (the bias is the ones column), forward and backward.
 *
 * Which backward ops run (the rule TF.js's tape pruning follows, measured in
 * pruning-mlp.test.ts): an op's gradient is computed iff its output depends on a trained
 * variable. Let e be the first hidden layer with an updated neuron (e = L, the number of
 * hidden layers, if none). Then
 * - the cross-entropy and output bias backward always run (the output layer is always trained);
 * - the output matmul's input gradient runs iff e < L;
 * - the activation backward of layer l runs iff l ≥ e;
 * - layer l's input-gradient matmul dX̃_l = dZ_l W_lᵀ runs iff l > e (for l = e its input does
 *   not depend on any trained variable); if layer l runs as two groups (updated + frozen), the
 *   two groups' dX̃ are summed, B·(fanIn_l + 1) more;
 * - weight gradients X̃ᵀ dZ only for the output layer and the updated neurons' columns.
 */
export type MlpFlopSize = Pick<MlpSize, 'features' | 'hidden' | 'classes'>;

/** Parameters of hidden neuron j of layer l: fanIn_l weights and a bias. */
export function neuronParams(size: MlpFlopSize, l: number): number {
  return fanIn(size, l) + 1;
}

/** Parameters of the output layer W_out [H_{L−1}, C] and b_out [C] (the backbone). */
export function mlpBackboneParams(size: MlpFlopSize): number {
  const last = size.hidden.length > 0 ? size.hidden[size.hidden.length - 1]! : size.features.length;
  return last * size.classes + size.classes;
}

/**
 * FLOPs of one training step on `batch` samples. `updating[m]` says whether neuron m (order
 * L0.N0, L0.N1, …, L1.N0, …) is updated; a layer with both updated and frozen neurons runs as
 * two groups (see `Mlp.setGroups`).
 */
export function mlpStepFlops(size: MlpFlopSize, batch: number, updating: boolean[]): StepFlops {
  const B = batch;
  const C = size.classes;
  const { hidden } = size;
  const L = hidden.length;
  const last = L > 0 ? hidden[L - 1]! : size.features.length;
  let forward = 0;
  let inputGrad = 0;
  let weightGrad = 0;
  let updatedParams = 0;
  let m = 0;
  const perLayer = hidden.map((H, l) => {
    let on = 0;
    for (let j = 0; j < H; j++) if (updating[m++]) on++;
    return { H, in1: fanIn(size, l) + 1, on };
  });
  const firstUpdated = perLayer.findIndex((p) => p.on > 0);
  const e = firstUpdated < 0 ? L : firstUpdated;
  perLayer.forEach(({ H, in1, on }, l) => {
    forward += 2 * B * in1 * H + B * H; // z = x̃W, activation
    if (l >= e) inputGrad += 2 * B * H; // activation backward
    if (l > e) {
      inputGrad += 2 * B * H * in1; // dX̃ = dZ Wᵀ, over both groups together
      if (on > 0 && on < H) inputGrad += B * in1; // sum of the two groups' dX̃
    }
    weightGrad += on * 2 * B * in1; // X̃ᵀ dZ, updated columns only
    updatedParams += on * in1;
  });
  forward += 2 * B * last * C + B * C + XENT * B * C; // output matmul, bias, cross-entropy
  inputGrad += 2 * (B * C + XENT * B * C);
  if (e < L) inputGrad += 2 * B * last * C;
  weightGrad += 2 * B * last * C + B * C; // W_out, b_out (a reduction over the batch)
  const optimizer = ADAM_FLOPS_PER_PARAM * (mlpBackboneParams(size) + updatedParams);
  return stepTotal({ forward, inputGrad, weightGrad, optimizer });
}

/**
 * Neuron matrices of one hidden layer (`layerMatrices` in kernel.ts): H neurons with P = fanIn + 1
 * parameters, n samples, R' scalar functions, q = R'·P.
 * - q < n: Ĝ_j formed, H·n·q products (`perSample`); Ĝ_jᵀĜ_j 2·n·q² and the weight q² per
 *   neuron (`gram`); a q × q eigen-decomposition each.
 * - else: the input Gram X̃X̃ᵀ 2·n²·P (`perSample`, this method's stand-in for per-sample
 *   gradients, which it never forms); per neuron Σ_r D Dᵀ 2·n²·R', the product with K and the
 *   weight 2·n² (`gram`); an n × n eigen-decomposition each.
 */
function neuronMatrixFlops(
  H: number,
  P: number,
  n: number,
  projections: number,
  mode: NeuronMatrixMode,
): { perSample: number; gram: number; side: number } {
  const q = projections * P;
  if (mode === 'auto' && q < n)
    return { perSample: H * n * q, gram: H * (2 * n * q * q + q * q), side: q };
  return { perSample: 2 * n * n * P, gram: 2 * n * n * projections * H + 2 * H * n * n, side: n };
}

/**
 * FLOPs of one mNTK evaluation over all neurons (see `neuronSpectrumInput`): forward over the
 * probe replicated R' = `projections` times with a tap added to every pre-activation and the
 * objective Σ s_r (trace: projection multiply + sum, 2 per logit; loss: cross-entropy, 6 per
 * logit); backward to the taps only (no weight gradients, nothing below layer 0's z); per layer
 * the neurons' matrices (`neuronMatrixFlops`: n × n kernels, or the q × q Ĝᵀ Ĝ where
 * q = R'·(fanIn + 1) < n; with `mode` = `kernel` always n × n) and ≈ 9·side³ per neuron for
 * the dense symmetric eigen-solve.
 */
export function mlpEvaluationFlops(
  size: MlpFlopSize,
  n: number,
  projections: number,
  kernel: 'trace' | 'loss' = 'trace',
  mode: NeuronMatrixMode = 'auto',
): EvaluationFlops {
  const Np = n * projections;
  const C = size.classes;
  const { hidden } = size;
  const L = hidden.length;
  const last = L > 0 ? hidden[L - 1]! : size.features.length;
  const objective = (kernel === 'loss' ? XENT : 2) * Np * C;
  let forward = 2 * Np * last * C + Np * C + objective;
  let backward = 2 * (Np * C + objective) + (L > 0 ? 2 * Np * last * C : 0);
  let perSample = 0;
  let gram = 0;
  const sides: number[] = [];
  hidden.forEach((H, l) => {
    const in1 = fanIn(size, l) + 1;
    forward += 2 * Np * in1 * H + Np * H + Np * H; // matmul, activation, tap
    backward += 2 * (Np * H + Np * H); // activation and tap backward
    if (l > 0) backward += 2 * Np * H * in1; // dX̃ down to the previous layer's tap
    const m = neuronMatrixFlops(H, in1, n, projections, mode);
    perSample += m.perSample;
    gram += m.gram;
    for (let j = 0; j < H; j++) sides.push(m.side);
  });
  return evaluationTotal({ forward, backward, perSample, gram, eigen: eigenFlopsOf(sides) });
}

/**
 * FLOPs a 'step' evaluation (`stepNeuronKernels`) adds to its training step on `batch` samples
 * when modules `updating` are then updated: what that step's pass computes beyond the step as
 * charged (`mlpStepFlops(updating)`), and the kernel itself.
 * - forward: the tap adds, batch·Σ H;
 * - backward: the tap adds' backward 2·batch·Σ H, plus the input gradients of the all-updated
 *   layout (`mlpStepFlops(all)`, e = 0: every activation backward and every dX̃ above layer 0)
 *   minus those of the step as charged — which may be negative by the split layers' sums
 *   batch·(fanIn + 1) that the single-group pass does not run;
 *   the weight gradients are the charged step's (computed after the decision, only those used);
 * - the neurons' matrices on the batch's first n samples, R' = 1 (`neuronMatrixFlops`; the
 *   weight is B²) and their eigen-decompositions.
 */
export function mlpStepEvaluationFlops(
  size: MlpFlopSize,
  batch: number,
  n: number,
  updating: boolean[],
  mode: NeuronMatrixMode = 'auto',
): EvaluationFlops {
  const { hidden } = size;
  const taps = batch * hidden.reduce((a, H) => a + H, 0);
  let perSample = 0;
  let gram = 0;
  const sides: number[] = [];
  hidden.forEach((H, l) => {
    const m = neuronMatrixFlops(H, fanIn(size, l) + 1, n, 1, mode);
    perSample += m.perSample;
    gram += m.gram;
    for (let j = 0; j < H; j++) sides.push(m.side);
  });
  return evaluationTotal({
    forward: taps,
    backward: 2 * taps + unchargedInputGrads((u) => mlpStepFlops(size, batch, u), updating),
    perSample,
    gram,
    eigen: eigenFlopsOf(sides),
  });
}
