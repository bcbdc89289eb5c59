import * as tf from '@tensorflow/tfjs';
import type { Toy2dSplit } from '../../data/toy2d';
import type { Mlp, MlpSize } from './model';
import { expandFeatures, sampleLosses } from './model';
import { EXACT_OUTPUTS_MAX } from '../../kernel';
import type { Rng } from '../../rng';

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
 * Every hidden neuron's n × n kernel in one forward and one backward pass.
 *
 * The probe batch is replicated R' times (copy r of sample i is row r·n + i) and a zero tap is
 * added to each hidden layer's pre-activation z_l = x̃_l W_l. Differentiating S = Σ_r Σ_i
 * s_r(x_i^{(r)}) with respect to the taps gives D_l[r·n+i, j] = ∂s_r(x_i)/∂z_{l,i,j} (samples
 * are independent in the forward pass). Neuron j's parameters θ_j enter only through
 * z_{l,i,j} = x̃_i · θ_j, so its per-sample gradient is x̃_i · D_l[r·n+i, j] and
 *
 *     Θ_j[i, i'] = w · (x̃_i · x̃_i') · Σ_r D_{r,i,j} D_{r,i',j}.
 *
 * Per layer this is one input Gram K_l = X̃ X̃ᵀ (the forward is identical in every replica, so
 * the first n rows suffice), one batched matmul over neurons E Eᵀ with E = D reshaped to
 * [H, n, R'], and an element-wise product with K_l — no per-neuron kernels, and the [n, P]
 * per-sample gradients are never formed. Returns [modules, n, n] row-major, module order
 * L0.N0, L0.N1, …, L1.N0, …
 */
export async function fastNeuronKernels(model: Mlp, probe: MlpProbe): Promise<Float32Array> {
  const { n, numProjections: Rp, outputs: k } = probe;
  const F = model.size.features.length;
  const hidden = model.size.hidden;
  if (hidden.length === 0) return new Float32Array(0);
  const N = Rp * n;
  const capture: tf.Tensor2D[] = [];
  const grams = tf.tidy(() => {
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
    const perLayer = hidden.map((H, l) => {
      const xa = capture[l]!.slice([0, 0], [n, -1]);
      const K = tf.matMul(xa, xa, false, true);
      const E = D[l]!.reshape([Rp, n, H]).transpose([2, 1, 0]);
      return tf.matMul(E, E, false, true).mul(K);
    });
    return tf.concat(perLayer, 0).mul(probe.weight);
  });
  for (const t of capture) t.dispose();
  const out = (await grams.data()) as Float32Array;
  grams.dispose();
  return out;
}
