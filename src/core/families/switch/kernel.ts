import * as tf from '@tensorflow/tfjs';
import type { SwitchCaptured, SwitchTaps, TinySwitch } from './model';
import type { Probe, ProbeTensors } from '../transformer/kernel';
import {
  embedTapsOf,
  embedZeroTaps,
  headGrams,
  probeEmbedGram,
  probeObjective,
} from '../transformer/kernel';

/** What an evaluation learns besides the kernels, at no extra cost (same forward). */
export interface SwitchKernelExtras {
  /**
   * Tokens of the probe batch routed to each expert after capacity, [layers · E] in module
   * order (L0.E0, L0.E1, …): the routing every replica used.
   */
  routerLoad?: number[];
}

/** An empty capture for `TinySwitch.forward`, which fills in each layer's tensors. */
export function emptySwitchCapture(): Required<SwitchCaptured> {
  return { xAug: [], ctx: [], xhat: [], tn: [], ffnIn: [], hidden: [], slot: [], mask: [] };
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
  const S = E * Rp * C;
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

      // Experts: slot-layout output gradients and hidden activations back to token layout.
      const slot = capture.slot[l]!;
      const ones = tf.ones([NT, 1]);
      const dH = tf.gather(D[2 * Lc + l]!.reshape([S, F]), slot).reshape([1, N, T, F]);
      const dY = tf.gather(D[3 * Lc + l]!.reshape([S, d]), slot);
      const aTok = tf.gather(capture.hidden[l]!.reshape([S, F]), slot);
      const xt = tf.concat([capture.ffnIn[l]!, ones], 1).reshape([1, N, T, d + 1]);
      const at = tf.concat([aTok, ones], 1).reshape([1, N, T, F + 1]);
      // m_t,e per expert, [E, N, T, 1]; applied to the narrower operand of each product.
      const m = capture.mask[l]!.transpose().reshape([E, N, T, 1]);
      const g1 = tf.matMul(xt.mul(m), dH, true, false).reshape([E, N, (d + 1) * F]);
      const g2 = tf
        .matMul(at, dY.reshape([1, N, T, d]).mul(m), true, false)
        .reshape([E, N, (F + 1) * d]);
      const Ge = tf.concat([g1, g2], 2).reshape([E * Rp, n, -1]);
      expertGrams.push(tf.matMul(Ge, Ge, false, true).reshape([E, Rp, n, n]).sum(1));
    }
    const embedKernel: tf.Tensor[] = [];
    if (embed) {
      embedKernel.push(probeEmbedGram(D.slice(4 * Lc), capture, pt.tokens, { n, Rp, T, M }));
    }
    return tf.concat([...headKernels, ...expertGrams, ...embedKernel], 0).mul(probe.weight);
  });
  const load = extras
    ? tf.tidy(() => tf.stack(capture.mask.map((m) => m.slice([0, 0], [n * T, E]).sum(0))))
    : null;
  for (const t of Object.values(capture).flat() as tf.Tensor[]) t.dispose();
  const out = (await grams.data()) as Float32Array;
  grams.dispose();
  if (load && extras) {
    extras.routerLoad = Array.from(await load.data());
    load.dispose();
  }
  return out;
}
