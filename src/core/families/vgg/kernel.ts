import * as tf from '@tensorflow/tfjs';
import type { ImageBatch } from '../../data/fashion';
import type { Probe } from '../transformer/kernel';
import { kernelInput, objectiveTensors, probeProjections } from '../../kernel';
import type { SmallVgg } from './model';
import { im2col3x3 } from './model';
import { passVariables, sampleLosses } from '../model';
import type { Rng } from '../../rng';
import { checkStepKernelSize, stepGradients, stepPass } from '../step-kernel';
import type { StepProbe } from '../types';

/**
 * The probe of an image classifier: n fixed images and the scalar functions s_r whose
 * per-sample gradients define Θ_m = w · Σ_r G_r G_rᵀ, G_r[i] = ∂s_r(x_i)/∂θ_m (see `Probe`).
 * Outputs are the k = classes logits. With k ≤ 16 (Fashion-MNIST: 10) the trace kernel is exact:
 * s_c = f_c, one-hot projections, w = 1/k. The loss kernel uses s = ℓ(x_i), the sample's
 * cross-entropy, w = 1.
 */
export interface ImageProbe extends Omit<Probe, 'batch'> {
  batch: ImageBatch;
}

/** The probe for `batch` (as `makeProbe` does for MLM, with k = `classes`). */
export function makeImageProbe(
  batch: ImageBatch,
  classes: number,
  kernel: 'trace' | 'loss',
  R: number,
  rng: Rng,
): ImageProbe {
  return { batch, ...probeProjections(classes, kernel, R, rng) };
}

/** The probe batch replicated R' times (copy r of image i is row r·n + i), built once and kept. */
export interface ImageProbeTensors {
  /** [R'·n, S, S, C]. */
  x: tf.Tensor4D;
  /** [R'·n, k] one-hot labels, loss kernel only. */
  oneHot: tf.Tensor2D | null;
  /** [R', 1, k], trace kernel only. */
  projections: tf.Tensor3D | null;
}

export function imageProbeTensors(probe: ImageProbe, model: SmallVgg): ImageProbeTensors {
  const { inputSize: S, inChannels: C } = model.size;
  const { batch: n, x, y } = probe.batch;
  const Rp = probe.numProjections;
  const px = S * S * C;
  if (x.length !== n * px)
    throw new Error(`The probe images do not have the model's input shape ${S}×${S}×${C}.`);
  const xs = new Float32Array(Rp * n * px);
  const ys = new Int32Array(Rp * n);
  for (let r = 0; r < Rp; r++) {
    xs.set(x, r * n * px);
    ys.set(y, r * n);
  }
  return {
    x: tf.keep(tf.tensor4d(xs, [Rp * n, S, S, C])),
    ...objectiveTensors(probe, ys, probe.outputs),
  };
}

export function disposeImageProbeTensors(p: ImageProbeTensors): void {
  p.x.dispose();
  p.oneHot?.dispose();
  p.projections?.dispose();
}

/**
 * The per-sample patches with a ones column: [N, S, S, c] → [N, S·S, 9·c + 1], row s = (h, w)
 * holding x_pad[h + dy, w + dx, ch] at column (3·dy + dx)·c + ch and 1 last (see `im2col3x3`).
 */
export function patchesWithOnes(x: tf.Tensor4D): tf.Tensor3D {
  const [N, S, W, c] = x.shape;
  return im2col3x3(x, true).reshape([N, S * W, 9 * c + 1]);
}

/**
 * The n × n kernels of a hidden classifier stage's unit groups. Its pre-activation is
 * z = x̃ W̃ (x̃ = [x, 1], W̃ = [W; b]), so a sample's gradient with respect to group q's weights is
 * the outer product x̃_i ⊗ D_i,q and ⟨x̃_i ⊗ D_i,q, x̃_j ⊗ D_j,q⟩ = (x̃_i·x̃_j)(D_i,q·D_j,q): per
 * group Σ_r D_r,q D_r,qᵀ (one batched matmul), times X̃X̃ᵀ = XXᵀ + 1 (the same for every r: the
 * probe is replicated). `x` [n, cin]: the stage's input for the n samples (one replica);
 * `d` [R'·n, cout]: the tap gradients. Returns [groups, n, n].
 */
export function unitGroupGrams(
  x: tf.Tensor2D,
  d: tf.Tensor2D,
  replicas: number,
  groups: number,
  g: number,
): tf.Tensor3D {
  return tf.tidy(() => {
    const n = x.shape[0];
    const xx = tf.matMul(x, x, false, true).add(1);
    const dq = d
      .reshape([replicas, n, groups, g])
      .transpose([2, 0, 1, 3])
      .reshape([groups * replicas, n, g]);
    const dd = tf.matMul(dq, dq, false, true).reshape([groups, replicas, n, n]).sum(1);
    return dd.mul(xx) as tf.Tensor3D;
  });
}

/** Σ_r Σ_i s_r(x_i) over the replicated batch. */
function probeObjective(logits: tf.Tensor2D, probe: ImageProbe, pt: ImageProbeTensors): tf.Scalar {
  if (probe.kernel === 'loss') return sampleLosses(logits, pt.oneHot!).sum();
  const n = probe.batch.batch;
  return logits.reshape([probe.numProjections, n, probe.outputs]).mul(pt.projections!).sum();
}

/**
 * Every filter group's (and hidden classifier stage unit group's, `unitGroupGrams`) n × n kernel
 * in one forward and one backward pass over the probe batch
 * replicated R' times (R' = k = 10 one-hot projections for the exact trace kernel).
 *
 * Tap trick: zero taps are added to each conv's pre-activation z_l; D_l = ∂(Σ_r Σ_i s_r)/∂tap_l
 * is, row by row, the per-sample output gradient ∂s_r(x_i)/∂z_l [S, S, cout]. Since
 * z_l[s, o] = Σ_{(t, ch)} P_i[s, (t, ch)] · W[t, ch, o] + b[o] with P_i the patches of x_l,
 * the per-sample gradient of filter group q is P̃_iᵀ · D_i[:, q·g … q·g + g − 1]
 * ([9·cin + 1, g], bias included through P̃'s ones column). One batched matmul P̃ᵀD per layer
 * gives all groups of all N = R'·n rows; per group Θ_q = w Σ_r G_r G_rᵀ, one batched matmul.
 * Returns [modules, n, n] row-major in module order C0.G0, C0.G1, …
 *
 * Relies on the model having no cross-sample op (no BatchNorm): see `SmallVgg`.
 */
export async function fastFilterGroupKernels(
  model: SmallVgg,
  probe: ImageProbe,
  tensors?: ImageProbeTensors,
): Promise<Float32Array> {
  const pt = tensors ?? imageProbeTensors(probe, model);
  const n = probe.batch.batch;
  const Rp = probe.numProjections;
  const N = Rp * n;
  const g = model.size.groupSize;
  const { convs, fcs } = model.layout;
  const L = convs.length;
  const capture: tf.Tensor4D[] = [];
  const fcCapture: tf.Tensor2D[] = [];
  const grams = tf.tidy(() => {
    const taps: tf.Tensor[] = [
      ...convs.map((c) => tf.zeros([N, c.side, c.side, c.cout])),
      ...fcs.map((f) => tf.zeros([N, f.cout])),
    ];
    const f = (...t: tf.Tensor[]) =>
      probeObjective(
        model.forward(pt.x, {
          taps: t.slice(0, L) as tf.Tensor4D[],
          fcTaps: t.slice(L) as tf.Tensor2D[],
          capture,
          fcCapture,
        }),
        probe,
        pt,
      );
    const D = tf.grads(f)(taps);
    const perStage = fcs.map((fc, s) =>
      unitGroupGrams(fcCapture[s]!.slice(0, n), D[L + s] as tf.Tensor2D, Rp, fc.groups, g),
    );
    const perLayer = model.layout.convs.map((c, l) =>
      tf.tidy(() => {
        const K = 9 * c.cin + 1;
        const P = patchesWithOnes(capture[l]!);
        const d = D[l]!.reshape([N, c.side * c.side, c.cout]);
        const G = tf
          .matMul(P, d, true, false)
          .reshape([N, K, c.groups, g])
          .transpose([2, 0, 1, 3])
          .reshape([c.groups * Rp, n, K * g]);
        return tf.matMul(G, G, false, true).reshape([c.groups, Rp, n, n]).sum(1);
      }),
    );
    return tf.concat([...perLayer, ...perStage], 0).mul(probe.weight);
  });
  // capture[0] is the probe input itself, owned by `pt`.
  for (const t of capture) if (t !== pt.x) t.dispose();
  tf.dispose(fcCapture);
  if (!tensors) disposeImageProbeTensors(pt);
  const out = (await grams.data()) as Float32Array;
  grams.dispose();
  return out;
}

/** The 'step' kernel of a VGG training step, and its n × n kernels (for tests). */
export interface VggStepProbe extends StepProbe {
  /** [modules, n, n] row-major, module order C0.G0, C0.G1, … */
  kernels: Float32Array;
}

/**
 * A training step on the batch (x, labels) that also takes the 'step' kernel: the loss kernel
 * Θ_q[i, j] = ⟨∇θ_q ℓ_i, ∇θ_q ℓ_j⟩ of every filter group on the batch's first n images
 * (docs/method.md, "The kernel").
 *
 * One forward of the whole batch in the canonical all-groups layout with zero taps on every
 * conv's pre-activation and every conv input captured, and one backward of the batch-mean loss
 * to the taps and the classifier (the backbone): since images are independent in the forward
 * pass (no BatchNorm, see `SmallVgg`), row i of tap l's gradient is D_i = (1/B)·∂ℓ_i/∂z_l. Then,
 * as in `fastFilterGroupKernels`, the per-sample gradients B·P̃_iᵀD_i for i < n (P̃ the patches
 * with a ones column) and one batched Gram per layer.
 *
 * The filter gradients are not taken on the way: `gradients(vars)` computes, after the decision,
 * only those asked for, each as the im2col step does (`convPatchGrad`): dW = Pᵀ·dz over the
 * whole batch (P the patches of the conv input, dz the tap gradient) and db = Σ dz. With every
 * group updated this is, operation for operation, the plain step's gradient (`SmallVgg.loss`
 * on the all-updated grouping), so training does not change.
 */
export async function stepFilterGroupKernels(
  model: SmallVgg,
  x: tf.Tensor4D,
  labels: tf.Tensor1D,
  n: number,
): Promise<VggStepProbe> {
  const B = x.shape[0];
  checkStepKernelSize(n, B);
  const { convs, fcs } = model.layout;
  const L = convs.length;
  const g = model.size.groupSize;
  const capture: tf.Tensor4D[] = [];
  const fcCapture: tf.Tensor2D[] = [];
  const { value, grads, D, backboneGrads } = stepPass<tf.Tensor>(
    passVariables(model),
    () => [
      ...convs.map((c) => tf.zeros([B, c.side, c.side, c.cout])),
      ...fcs.map((f) => tf.zeros([B, f.cout])),
    ],
    (taps) =>
      model.loss(x, labels, {
        taps: taps.slice(0, L) as tf.Tensor4D[],
        fcTaps: taps.slice(L) as tf.Tensor2D[],
        capture,
        fcCapture,
      }),
  );
  const grams = tf.tidy(() => {
    const perStage = fcs.map((fc, s) =>
      unitGroupGrams(
        fcCapture[s]!.slice(0, n),
        (D[L + s] as tf.Tensor2D).slice(0, n),
        1,
        fc.groups,
        g,
      ),
    );
    const perLayer = convs.map((c, l) => {
      const K = 9 * c.cin + 1;
      const P = patchesWithOnes(capture[l]!.slice(0, n));
      const d = D[l]!.slice(0, n).reshape([n, c.side * c.side, c.cout]);
      const G = tf
        .matMul(P, d, true, false)
        .reshape([n, K, c.groups, g])
        .transpose([2, 0, 1, 3])
        .reshape([c.groups, n, K * g]);
      return tf.matMul(G, G, false, true);
    });
    // (B·D_i)·(B·D_j): the per-sample loss gradients are B times the tap gradients' rows.
    return tf.concat([...perLayer, ...perStage], 0).mul(B * B);
  });
  const kernels = (await grams.data()) as Float32Array;
  grams.dispose();

  // Per layer, the groups asked for (ascending): their filter (or weight) and bias gradients.
  const gradients = stepGradients(model, L + fcs.length, backboneGrads, (l, groups, got) => {
    if (l >= L) {
      // A classifier stage: dW = Xᵀ·dz and db = Σ dz over the batch, as the plain step's
      // matmul and bias-add gradients compute them.
      const s = l - L;
      let dz = D[l] as tf.Tensor2D;
      if (groups.length < fcs[s]!.groups) {
        const units = groups.flatMap((q) => Array.from({ length: g }, (_, j) => q * g + j));
        dz = tf.gather(dz, tf.tensor1d(units, 'int32'), 1);
      }
      const dW = tf.matMul(fcCapture[s]!, dz, true, false);
      const db = dz.sum(0);
      const ws = groups.length === 1 ? [dW] : tf.split(dW, groups.length, 1);
      const bs = groups.length === 1 ? [db] : tf.split(db, groups.length, 0);
      groups.forEach((q, k) => {
        got.set(model.fcW[s]![q]!.name, ws[k]!);
        got.set(model.fcB[s]![q]!.name, bs[k]!);
      });
      return;
    }
    const c = convs[l]!;
    const S2 = c.side * c.side;
    let dz = D[l] as tf.Tensor4D;
    if (groups.length < c.groups) {
      const channels = groups.flatMap((q) => Array.from({ length: g }, (_, j) => q * g + j));
      dz = tf.gather(dz, tf.tensor1d(channels, 'int32'), 3);
    }
    const cols = groups.length * g;
    const P = im2col3x3(capture[l]!).reshape([B * S2, 9 * c.cin]) as tf.Tensor2D;
    const dW = tf
      .matMul(P, dz.reshape([B * S2, cols]) as tf.Tensor2D, true, false)
      .reshape([3, 3, c.cin, cols]);
    const db = dz.sum([0, 1, 2]);
    const ws = groups.length === 1 ? [dW] : tf.split(dW, groups.length, 3);
    const bs = groups.length === 1 ? [db] : tf.split(db, groups.length, 0);
    groups.forEach((q, k) => {
      got.set(model.convW[l]![q]!.name, ws[k]!);
      got.set(model.convB[l]![q]!.name, bs[k]!);
    });
  });
  return {
    kernels,
    spectrum: kernelInput(kernels, n),
    loss: value,
    gradients,
    dispose: () => {
      // capture[0] is the batch's own images, owned by the caller.
      for (const t of capture) if (t !== x) t.dispose();
      tf.dispose(fcCapture);
      for (const t of grads) t.dispose();
    },
  };
}
