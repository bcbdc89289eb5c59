import * as tf from '@tensorflow/tfjs';
import type { Toy2dSplit } from '../../data/toy2d';
import type { Mlp, MlpSize } from './model';
import { expandFeatures } from './model';
import { passVariables, sampleLosses } from '../model';
import type { SpectrumInput } from '../../kernel';
import { EXACT_OUTPUTS_MAX } from '../../kernel';
import type { Rng } from '../../rng';
import { checkStepKernelSize, stepGradients, stepPass } from '../step-kernel';
import type { StepProbe } from '../types';

/**
 * The MLP's probe: n fixed points and the scalar functions s_r whose per-sample gradients
 * define the kernel, Θ_m = w · Σ_r G_r G_rᵀ with G_r[i] = ∂s_r(x_i)/∂θ_m.
 *
 * - trace kernel: s_r = f_r, the r-th logit (one-hot projections, R' = k = C), w = 1/k —
 *   exactly Θ = (1/k) Σ_c ⟨∂f_c(x_i)/∂θ, ∂f_c(x_j)/∂θ⟩. C ≤ 16 always, so never estimated.
 * - loss kernel: s = ℓ(x_i), the sample's cross-entropy; R' = 1, w = 1.
 */
export interface MlpProbe {
  /** Probe inputs [n, F] row-major, features already expanded. */
  x: Float32Array;
  /** Labels [n] (used by the loss kernel). */
  y: Int32Array;
  n: number;
  kernel: 'trace' | 'loss';
  /** k = C, the logits per sample. */
  outputs: number;
  /** Number of scalar functions s_r (R'). */
  numProjections: number;
  weight: number;
}

export class TooManyOutputsError extends RangeError {
  override name = 'TooManyOutputsError';
}

/** A probe over the given points (features expanded, [n, F]) and labels. */
export function makeMlpProbe(
  x: Float32Array,
  y: Int32Array,
  classes: number,
  kernel: 'trace' | 'loss',
): MlpProbe {
  if (classes > EXACT_OUTPUTS_MAX) {
    throw new TooManyOutputsError(
      `The MLP's exact trace kernel needs at most ${EXACT_OUTPUTS_MAX} classes, got ${classes}.`,
    );
  }
  const n = y.length;
  if (kernel === 'loss') return { x, y, n, kernel, outputs: classes, numProjections: 1, weight: 1 };
  return { x, y, n, kernel, outputs: classes, numProjections: classes, weight: 1 / classes };
}

/**
 * Draws the probe once per run: n distinct training points chosen by `rng` (partial
 * Fisher–Yates; all of them if the training set is smaller), expanded to the model's features.
 */
export function sampleMlpProbe(
  train: Toy2dSplit,
  n: number,
  size: Pick<MlpSize, 'features' | 'classes'>,
  kernel: 'trace' | 'loss',
  rng: Rng,
): MlpProbe {
  const N = train.y.length;
  const m = Math.min(n, N);
  const idx = Array.from({ length: N }, (_, i) => i);
  const points = new Float32Array(2 * m);
  const y = new Int32Array(m);
  for (let i = 0; i < m; i++) {
    const j = i + rng.int(N - i);
    const t = idx[i]!;
    idx[i] = idx[j]!;
    idx[j] = t;
    points[2 * i] = train.x[2 * idx[i]!]!;
    points[2 * i + 1] = train.x[2 * idx[i]! + 1]!;
    y[i] = train.y[idx[i]!]!;
  }
  return makeMlpProbe(expandFeatures(points, size.features), y, size.classes, kernel);
}

/**
 * How `neuronMatrices` gives each layer's neurons: always their n × n kernels Θ_j (`kernel`),
 * or, where smaller (`auto`), the q × q matrices Ĝ_jᵀĜ_j with q = R'·(fanIn + 1) < n, whose
 * eigenvalues are Θ_j's nonzero ones (`SpectrumInput`).
 */
export type NeuronMatrixMode = 'kernel' | 'auto';

/**
 * Per layer, from its captured inputs X̃ [n, P] (P = fanIn + 1) and its output gradients
 * E [H, n, R'] (E[j, i, r] = ∂s_r(x_i)/∂z_j), every neuron's matrix, scaled by `weight`. Neuron
 * j's per-sample gradient rows are G_r[i] = x̃_i · E[j, i, r], so with Ĝ_j [n, R'·P] the rows
 * side by side, Θ_j = w Ĝ_j Ĝ_jᵀ.
 * - n × n: Θ_j = w (X̃X̃ᵀ) ∘ (E_j E_jᵀ): one input Gram per layer, one batched matmul over the
 *   neurons with inner size R', an element-wise product — Ĝ is never formed.
 * - q × q, q = R'·P < n: w Ĝ_jᵀĜ_j, Ĝ_j formed (H·n·q products), one batched matmul [H, q, q].
 */
function layerMatrices(
  xa: tf.Tensor2D,
  E: tf.Tensor3D,
  weight: number,
  mode: NeuronMatrixMode,
): { matrices: tf.Tensor3D; side: number } {
  const [n, P] = xa.shape;
  const [H, , Rp] = E.shape;
  const q = Rp * P;
  if (mode === 'auto' && q < n) {
    // Ĝ_j[i, r·P + a] = E[j, i, r] · x̃_i[a].
    const G = E.reshape([H, n, Rp, 1])
      .mul(xa.reshape([1, n, 1, P]))
      .reshape([H, n, q]);
    return { matrices: tf.matMul(G, G, true, false).mul(weight), side: q };
  }
  const K = tf.matMul(xa, xa, false, true);
  return { matrices: tf.matMul(E, E, false, true).mul(K).mul(weight), side: n };
}

/** Every layer's matrices, concatenated in module order, and each module's side. */
function neuronMatrices(
  layers: { xa: tf.Tensor2D; E: tf.Tensor3D }[],
  weight: number,
  mode: NeuronMatrixMode,
): { data: tf.Tensor1D; sides: number[] } {
  const parts: tf.Tensor1D[] = [];
  const sides: number[] = [];
  for (const { xa, E } of layers) {
    const { matrices, side } = layerMatrices(xa, E, weight, mode);
    parts.push(matrices.reshape([-1]));
    for (let j = 0; j < E.shape[0]; j++) sides.push(side);
  }
  return { data: tf.concat(parts), sides };
}

/**
 * Every hidden neuron's matrix for its spectrum (`mode`; n × n kernels with `kernel`) in one
 * forward and one backward pass.
 *
 * The probe batch is replicated R' times (copy r of sample i is row r·n + i) and a zero tap is
 * added to each hidden layer's pre-activation z_l = x̃_l W_l. Differentiating S = Σ_r Σ_i
 * s_r(x_i^{(r)}) with respect to the taps gives D_l[r·n+i, j] = ∂s_r(x_i)/∂z_{l,i,j} (samples
 * are independent in the forward pass). Neuron j's parameters θ_j enter only through
 * z_{l,i,j} = x̃_i · θ_j, so its per-sample gradient is x̃_i · D_l[r·n+i, j] and
 *
 *     Θ_j[i, i'] = w · (x̃_i · x̃_i') · Σ_r D_{r,i,j} D_{r,i',j}
 *
 * (see `layerMatrices`; the forward is identical in every replica, so the first n rows of x̃
 * suffice). Returns the matrices back to back, module order L0.N0, L0.N1, …, L1.N0, …
 */
export async function neuronSpectrumInput(
  model: Mlp,
  probe: MlpProbe,
  mode: NeuronMatrixMode = 'auto',
): Promise<SpectrumInput> {
  const { n, numProjections: Rp, outputs: k } = probe;
  const F = model.size.features.length;
  const hidden = model.size.hidden;
  if (hidden.length === 0) return { data: new Float32Array(0), sides: [] };
  const N = Rp * n;
  const capture: tf.Tensor2D[] = [];
  let sides: number[] = [];
  const mats = tf.tidy(() => {
    const x = tf.tile(tf.tensor2d(probe.x, [n, F]), [Rp, 1]) as tf.Tensor2D;
    const oneHot =
      probe.kernel === 'loss' ? tf.oneHot(tf.tensor1d(probe.y, 'int32'), k).toFloat() : null;
    const projections = probe.kernel === 'trace' ? tf.eye(k).reshape([k, 1, k]) : null;
    const taps = hidden.map((H) => tf.zeros([N, H]) as tf.Tensor2D);
    const objective = (...t: tf.Tensor[]) => {
      const logits = model.forward(x, { taps: t as tf.Tensor2D[], capture });
      if (oneHot) return sampleLosses(logits, oneHot as tf.Tensor2D).sum() as tf.Scalar;
      return logits.reshape([Rp, n, k]).mul(projections!).sum() as tf.Scalar;
    };
    const D = tf.grads(objective)(taps);
    const layers = hidden.map((H, l) => ({
      xa: capture[l]!.slice([0, 0], [n, -1]),
      E: D[l]!.reshape([Rp, n, H]).transpose([2, 1, 0]) as tf.Tensor3D,
    }));
    const out = neuronMatrices(layers, probe.weight, mode);
    sides = out.sides;
    return out.data;
  });
  for (const t of capture) t.dispose();
  const data = (await mats.data()) as Float32Array;
  mats.dispose();
  return { data, sides };
}

/**
 * Every hidden neuron's n × n kernel in one forward and one backward pass
 * (`neuronSpectrumInput` with every matrix n × n). Returns [modules, n, n] row-major, module
 * order L0.N0, L0.N1, …, L1.N0, …
 */
export async function fastNeuronKernels(model: Mlp, probe: MlpProbe): Promise<Float32Array> {
  return (await neuronSpectrumInput(model, probe, 'kernel')).data;
}

/**
 * A training step on the batch (x, labels) that also takes the 'step' kernel: every neuron's
 * loss kernel Θ_j[i, i'] = ⟨∇θ_j ℓ_i, ∇θ_j ℓ_i'⟩ on the batch's first n samples (docs/method.md,
 * "The kernel"), as matrices for its spectrum (`mode`; with `kernel` the n × n kernels).
 *
 * One forward of the whole batch with zero taps on every pre-activation and every x̃_l
 * captured, one backward of the batch-mean loss to the taps and the output layer (the
 * backbone): row i of tap l's gradient is D_i = (1/B)·∂ℓ_i/∂z_l (samples are independent), so
 * the per-sample gradients are B·x̃_i D_{i,j} and the matrices those of `layerMatrices` with
 * R' = 1, w = B². The neurons' weight gradients are not taken on the way: `gradients(vars)`
 * computes those asked for after the decision, as the plain step does, X̃ᵀD over the batch
 * (operation for operation the all-updated step's gradient, so training does not change).
 */
export async function stepNeuronKernels(
  model: Mlp,
  x: tf.Tensor2D,
  labels: tf.Tensor1D,
  n: number,
  mode: NeuronMatrixMode = 'auto',
): Promise<StepProbe> {
  const B = x.shape[0];
  checkStepKernelSize(n, B);
  const hidden = model.size.hidden;
  const capture: tf.Tensor2D[] = [];
  const { value, grads, D, backboneGrads } = stepPass(
    passVariables(model),
    () => hidden.map((H) => tf.zeros([B, H]) as tf.Tensor2D),
    (taps) => model.loss(x, labels, { taps, capture }),
  );
  let sides: number[] = [];
  const mats = tf.tidy(() => {
    const layers = hidden.map((H, l) => ({
      xa: capture[l]!.slice([0, 0], [n, -1]),
      E: D[l]!.slice([0, 0], [n, -1]).transpose().reshape([H, n, 1]) as tf.Tensor3D,
    }));
    const out = neuronMatrices(layers, B * B, mode);
    sides = out.sides;
    return out.data;
  });
  const data = (await mats.data()) as Float32Array;
  mats.dispose();

  const gradients = stepGradients(model, hidden.length, backboneGrads, (l, js, got) => {
    const dz = js.length === hidden[l]! ? D[l]! : tf.gather(D[l]!, tf.tensor1d(js, 'int32'), 1);
    // [fanIn + 1, |js|]: column k is neuron js[k]'s gradient (weights, then bias).
    const dW = tf.matMul(capture[l]!, dz, true, false);
    const cols = tf.unstack(dW, 1);
    js.forEach((j, k) => got.set(model.neurons[l]![j]!.name, cols[k]!));
  });
  return {
    spectrum: { data, sides },
    loss: value,
    gradients,
    dispose: () => {
      for (const t of capture) t.dispose();
      for (const t of grads) t.dispose();
    },
  };
}
