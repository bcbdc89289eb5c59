import * as tf from '@tensorflow/tfjs';
import type { SwitchCaptured, SwitchTaps, TinySwitch } from './model';
import { passVariables, sampleLosses } from '../model';
import { checkStepKernelSize, moduleStepGradients, stepPass } from '../step-kernel';
import type { StepProbe } from '../types';
import type { MlmTensors } from '../transformer/mlm-task';
import type { TransformerStep } from '../transformer/step-kernel';
import {
  headAndEmbedGradients,
  readStepKernels,
  transformerStepProbe,
  stepHeadAndEmbedGrams,
} from '../transformer/step-kernel';
import type { KernelTerms, Probe, ProbeTensors } from '../transformer/kernel';
import {
  embedTapsOf,
  embedZeroTaps,
  headGrams,
  probeEmbedGram,
  termsAndKernels,
  probeObjective,
} from '../transformer/kernel';

/** What an evaluation learns besides the kernels, at no extra cost (same forward). */
export interface SwitchKernelExtras extends KernelTerms {
  /**
   * Tokens of the probe batch routed to each expert after capacity, [layers · E] in module
   * order (L0.E0, L0.E1, …): the routing every replica used.
   */
  routerLoad?: number[];
}

/** An empty capture for `TinySwitch.forward`, which fills in each layer's tensors. */
export function emptySwitchCapture(): Required<Omit<SwitchCaptured, 'slotIn'>> {
  return { xAug: [], ctx: [], xhat: [], tn: [], ffnIn: [], hidden: [], slot: [], mask: [] };
}

/**
 * One layer's expert kernels per replica, [E, R', n, n] (unweighted), over the first N = R'·n sequences of a
 * pass (copy r of sample i is row r·n + i): the slot-layout tap gradients D^h, D^y and hidden
 * activations brought back to token layout through each token's slot, then per expert e, with
 * m_t,e the dispatch mask, the per-sample gradients Σ_{t ∈ i} m_t,e x̃_tᵀ D^h_t and
 * Σ_{t ∈ i} m_t,e ã_tᵀ D^y_t (x̃ = [x, 1] the FFN input, ã = [relu(h), 1]) and G_r G_rᵀ.
 * `tokens`: the pass's token-layout slot, mask and FFN input (their first N·T rows are used);
 * `slotted`: relu(h) and the gradients at the taps on h and y, [E, slots, ·].
 */
function expertGram(
  tokens: { slot: tf.Tensor1D; mask: tf.Tensor2D; ffnIn: tf.Tensor2D },
  slotted: { hidden: tf.Tensor; dH: tf.Tensor; dY: tf.Tensor },
  dims: { n: number; Rp: number; T: number; E: number },
): tf.Tensor {
  const { n, Rp, T, E } = dims;
  const N = Rp * n;
  const NT = N * T;
  const F = slotted.hidden.shape[2]!;
  const d = tokens.ffnIn.shape[1];
  const S = slotted.hidden.shape[0]! * slotted.hidden.shape[1]!;
  const slot = tokens.slot.slice(0, NT);
  const ones = tf.ones([NT, 1]);
  const dH = tf.gather(slotted.dH.reshape([S, F]), slot).reshape([1, N, T, F]);
  const dY = tf.gather(slotted.dY.reshape([S, d]), slot);
  const aTok = tf.gather(slotted.hidden.reshape([S, F]), slot);
  const xt = tf.concat([tokens.ffnIn.slice([0, 0], [NT, d]), ones], 1).reshape([1, N, T, d + 1]);
  const at = tf.concat([aTok, ones], 1).reshape([1, N, T, F + 1]);
  // m_t,e per expert, [E, N, T, 1]; applied to the narrower operand of each product.
  const m = tokens.mask.slice([0, 0], [NT, E]).transpose().reshape([E, N, T, 1]);
  const g1 = tf.matMul(xt.mul(m), dH, true, false).reshape([E, N, (d + 1) * F]);
  const g2 = tf
    .matMul(at, dY.reshape([1, N, T, d]).mul(m), true, false)
    .reshape([E, N, (F + 1) * d]);
  const Ge = tf.concat([g1, g2], 2).reshape([E * Rp, n, -1]);
  return tf.matMul(Ge, Ge, false, true).reshape([E, Rp, n, n]);
}

/**
 * Every head's and every expert's n × n kernel in one forward and one backward pass over the
 * probe batch replicated R' times.
 *
 * Routing is defined per probe of n samples: the forward runs with G = R' routing groups, one
 * per replica, each with capacity C = ceil(c · n·T / E), so every replica is routed (and
 * dropped) exactly as the n-sample probe batch alone, and replicating does not change who is
 * dropped. Within a replica, capacity couples the samples (whether a token is dropped depends on
 * the tokens before it); Θ is the kernel of the network with that routing held fixed — the
 * routing is piecewise constant in the weights, so this is also its derivative almost everywhere.
 *
 * With the routing fixed, the forward is separable over samples, so the gradient of
 * S = Σ_r Σ_i s_r(x_i^{(r)}) with respect to a zero tap is the per-sample output gradient:
 * - heads: as `fastHeadKernels` (taps on q|k|v and the attention output);
 * - expert e: taps on h = x̃ W̃1_e and y = [relu(h), 1] W̃2_e in slot layout, brought back to
 *   token layout through each token's slot. With m_t,e the dispatch mask (routed to e and
 *   kept), the per-sample gradients are
 *       ∂s(x_i)/∂W̃1_e = Σ_{t ∈ i} m_t,e x̃_tᵀ D^h_t,   ∂s(x_i)/∂W̃2_e = Σ_{t ∈ i} m_t,e ã_tᵀ D^y_t,
 *   x̃_t = [x_t, 1] the FFN input, ã_t = [relu(h_t), 1]. A token not routed to e, or dropped,
 *   contributes nothing: a sample's gradient reaches only the experts its kept tokens used, and
 *   a sample none of whose tokens reached e has a zero row and column in Θ_e.
 * - the embeddings (when a module): taps on the token + position sum, the embedding LayerNorm's
 *   output and the logits, as BERT's (`embedGram`); the routing holds no parameter of theirs.
 * Θ_m = w Σ_r G_r G_rᵀ. Returns [modules, n, n] row-major in module order: L0.H0 … (all heads),
 * then L0.E0 … (all experts), then E.
 */
export async function fastSwitchKernels(
  model: TinySwitch,
  probe: Probe,
  pt: ProbeTensors,
  extras?: SwitchKernelExtras,
): Promise<Float32Array> {
  const { layers: Lc, heads: H, dModel: d, dFF: F, seqLen: T, experts: E, vocab: V } = model.size;
  const { embed } = model.selection;
  const M = probe.batch.masked;
  const dh = model.dHead;
  const n = probe.batch.batch;
  const Rp = probe.numProjections;
  const N = Rp * n;
  const NT = N * T;
  const C = model.capacity(n * T);
  const capture = emptySwitchCapture();
  const grams = tf.tidy(() => {
    const layers = Array.from({ length: Lc }, (_, l) => l);
    const taps: SwitchTaps = {
      qkv: layers.map(() => tf.zeros([NT, 3 * H * dh]) as tf.Tensor2D),
      y: layers.map(() => tf.zeros([NT, d]) as tf.Tensor2D),
      h: layers.map(() => tf.zeros([E, Rp * C, F]) as tf.Tensor3D),
      out: layers.map(() => tf.zeros([E, Rp * C, d]) as tf.Tensor3D),
    };
    const embedTaps = embed ? embedZeroTaps({ N, T, M }, d, V) : [];
    const f = (...t: tf.Tensor[]) => {
      const part = <X extends tf.Tensor>(k: number) => t.slice(k * Lc, (k + 1) * Lc) as X[];
      const e = t.slice(4 * Lc) as tf.Tensor2D[];
      const { logits } = model.forward(
        { tokens: pt.tokens, positions: pt.positions },
        {
          taps: {
            qkv: part(0),
            y: part(1),
            h: part(2),
            out: part(3),
            ...(embed ? { embed: embedTapsOf(e) } : {}),
          },
          capture,
          routingGroups: Rp,
        },
      );
      // The load-balancing loss is not part of any s_r: it is a batch-level regulariser.
      return probeObjective(logits, probe, pt.oneHot, pt.projections);
    };
    const D = tf.grads(f)([...taps.qkv, ...taps.y, ...taps.h, ...taps.out, ...embedTaps]);
    const headKernels: tf.Tensor[] = [];
    const expertGrams: tf.Tensor[] = [];
    for (let l = 0; l < Lc; l++) {
      // Heads, exactly as fastHeadKernels.
      headKernels.push(
        headGrams(capture.xAug[l]!, capture.ctx[l]!, D[l]!, D[Lc + l]!, { n, Rp, T, H, dh }),
      );

      const g = { slot: capture.slot[l]!, mask: capture.mask[l]!, ffnIn: capture.ffnIn[l]! };
      const slotted = { hidden: capture.hidden[l]!, dH: D[2 * Lc + l]!, dY: D[3 * Lc + l]! };
      expertGrams.push(expertGram(g, slotted, { n, Rp, T, E }));
    }
    const embedKernel: tf.Tensor[] = [];
    if (embed) {
      embedKernel.push(probeEmbedGram(D.slice(4 * Lc), capture, pt.tokens, { n, Rp, T, M }));
    }
    return tf.concat([...headKernels, ...expertGrams, ...embedKernel], 0).mul(probe.weight);
  });
  const kernels = await termsAndKernels(grams, extras);
  const load = extras
    ? tf.tidy(() => tf.stack(capture.mask.map((m) => m.slice([0, 0], [n * T, E]).sum(0))))
    : null;
  for (const t of Object.values(capture).flat() as tf.Tensor[]) t.dispose();
  if (load && extras) {
    extras.routerLoad = Array.from(await load.data());
    load.dispose();
  }
  return kernels;
}

/** The 'step' kernel of a Switch training step, and its n × n kernels (for tests). */
export interface SwitchStepProbe extends StepProbe {
  /** [modules, n, n] row-major, module order as `fastSwitchKernels`. */
  kernels: Float32Array;
}

/**
 * A training step on the MLM batch that also takes the 'step' kernel of every head, expert (and
 * the embeddings, when a module) on the batch's first n sequences (docs/method.md, "The kernel").
 *
 * One forward of the whole batch as training runs it (one routing group, C = ceil(c·B·T/E)),
 * every layer's heads and experts as one group, zero taps as `fastSwitchKernels`, and one backward
 * of the training loss J = (1/B)·Σ ℓ_i + Σ_layers α_lb·E·Σ_e f_e·P_e to the taps and the backbone.
 * With the routing and f_e held fixed (piecewise constant in the weights) J = (1/B)·Σ_i J_i, where
 * J_i = ℓ_i + Σ_layers α_lb·E·Σ_e f_e·(1/T)·Σ_{t ∈ i} p_t,e is sequence i's share of the
 * objective: the kernel is that of J_i, Θ_m[i, j] = ⟨∇θ_m J_i, ∇θ_m J_j⟩ (the load-balancing
 * term is part of what the step trains; the probe kernels leave it out). Rows of sequence i of a
 * tap's gradient are (1/B)·∂J_i/∂z, so Θ is the Grams of the first n sequences times B².
 *
 * Weight gradients come after the decision, for the modules asked only: heads as BERT's, experts
 * per expert in slot layout as the plain step's batched matmul does them (x̃ᵀD^h and ãᵀD^y),
 * the embeddings from their taps.
 */
export async function stepSwitchKernels(
  model: TinySwitch,
  batch: MlmTensors,
  n: number,
): Promise<SwitchStepProbe> {
  const [tokens, positions, oneHot] = batch;
  const B = tokens.shape[0];
  checkStepKernelSize(n, B);
  const { layers: Lc, heads: H, dModel: d, dFF: F, seqLen: T, experts: E, vocab: V } = model.size;
  const { embed } = model.selection;
  const dh = model.dHead;
  const M = positions.shape[0] / B;
  const NT = B * T;
  const C = model.capacity(NT);
  const capture: SwitchCaptured = { ...emptySwitchCapture(), slotIn: [] };
  const zeros = (shape: number[]) => Array.from({ length: Lc }, () => tf.zeros(shape));
  const { value, grads, D, backboneGrads } = stepPass(
    passVariables(model),
    () => [
      ...zeros([NT, 3 * H * dh]),
      ...zeros([NT, d]),
      ...zeros([E, C, F]),
      ...zeros([E, C, d]),
      ...(embed ? embedZeroTaps({ N: B, T, M }, d, V) : []),
    ],
    (t) => {
      const part = <X extends tf.Tensor>(k: number) => t.slice(k * Lc, (k + 1) * Lc) as X[];
      const taps = {
        qkv: part<tf.Tensor2D>(0),
        y: part<tf.Tensor2D>(1),
        h: part<tf.Tensor3D>(2),
        out: part<tf.Tensor3D>(3),
        ...(embed ? { embed: embedTapsOf(t.slice(4 * Lc) as tf.Tensor2D[]) } : {}),
      };
      const { logits, aux } = model.forward({ tokens, positions }, { taps, capture });
      return sampleLosses(logits, oneHot).mean().add(aux) as tf.Scalar;
    },
  );
  const tap = (k: number, l: number) => D[k * Lc + l]!;
  const step: TransformerStep = {
    model,
    tokens,
    M,
    capture,
    dQkv: (l) => tap(0, l) as tf.Tensor2D,
    dY: (l) => tap(1, l) as tf.Tensor2D,
    embed: embed ? (D.slice(4 * Lc) as tf.Tensor2D[]) : null,
  };
  const grams = tf.tidy(() => {
    const shared = stepHeadAndEmbedGrams(step, n);
    const experts = Array.from({ length: Lc }, (_, l) => {
      const g = { slot: capture.slot[l]!, mask: capture.mask[l]!, ffnIn: capture.ffnIn[l]! };
      const slotted = { hidden: capture.hidden[l]!, dH: tap(2, l), dY: tap(3, l) };
      return expertGram(g, slotted, { n, Rp: 1, T, E });
    });
    return [...shared.heads, ...experts, ...shared.embed];
  });
  const kernels = await readStepKernels(grams, B);

  const gradients = moduleStepGradients(model, backboneGrads, (asked, got) => {
    const heads = Array.from({ length: Lc }, () => [] as number[]);
    const experts = Array.from({ length: Lc }, () => [] as number[]);
    let embedAsked = false;
    for (const m of asked) {
      const info = model.modules[m]!;
      if (info.kind === 'head') heads[info.layer]!.push(info.index);
      else if (info.kind === 'expert') experts[info.layer]!.push(info.index);
      else embedAsked = true;
    }
    headAndEmbedGradients(step, heads, embedAsked, got);
    experts.forEach((ex, l) => {
      if (ex.length === 0) return;
      const L = model.layerVars[l]!;
      // Slot layout [E, C, ·]: expert e's slots are row e (one group, in expert order).
      const pick = (x: tf.Tensor) =>
        (ex.length === E ? x : tf.gather(x, tf.tensor1d(ex, 'int32'), 0)) as tf.Tensor3D;
      const aAug = tf.concat([capture.hidden[l]!, tf.ones([E, C, 1])], 2);
      const w1 = tf.unstack(tf.matMul(pick(capture.slotIn![l]!), pick(tap(2, l)), true, false));
      const w2 = tf.unstack(tf.matMul(pick(aAug), pick(tap(3, l)), true, false));
      ex.forEach((x, k) => {
        got.set(L.w1[x]!.name, w1[k]!);
        got.set(L.w2[x]!.name, w2[k]!);
      });
    });
  });
  return transformerStepProbe(kernels, n, value, gradients, [
    ...(Object.values(capture).flat() as tf.Tensor[]),
    ...grads,
  ]);
}
