import * as tf from '@tensorflow/tfjs';
import type { Probe, ProbeTensors } from '../transformer/kernel';
import {
  embedTapsOf,
  embedZeroTaps,
  ffnGram,
  headGrams,
  probeEmbedGram,
  probeObjective,
} from '../transformer/kernel';
import type { BertCaptured, TinyBert } from './model';

/**
 * Every module's n × n kernel in one forward and one backward pass over the replicated probe
 * batch: gradients of Σ s with respect to zero taps on the modules' outputs are the per-sample
 * output gradients D_i; then
 * - a head's per-sample parameter gradient is X̃_iᵀ D_i (tokens summed, bias via the ones
 *   column) for q|k|v and ctx_iᵀ D_i for its output rows (`headGrams`);
 * - an FFN block's (modules `ffn`) x̃_iᵀ D^h_i and ã_iᵀ D^y_i, taps on its pre-activation and
 *   output (`ffnGram`);
 * - the embeddings' (module `embed`) from taps on the token + position sum, the embedding
 *   LayerNorm's output and the logits (`embedGram`: the token rows' Gram from token-pair
 *   products, never a [n, V·d] gradient);
 * and Θ = w Σ_r G_r G_rᵀ. Returns [modules, n, n] row-major in module order: L0.H0, L0.H1, …,
 * then L0.F, L1.F, …, then E.
 */
export async function fastBertKernels(
  model: TinyBert,
  probe: Probe,
  pt: ProbeTensors,
): Promise<Float32Array> {
  const { layers: Lc, heads: H, dModel: d, dFF: F, seqLen: T, vocab: V } = model.size;
  const { ffn, embed } = model.selection;
  const dh = model.dHead;
  const n = probe.batch.batch;
  const M = probe.batch.masked;
  const Rp = probe.numProjections;
  const N = Rp * n;
  const capture: Required<BertCaptured> = {
    xAug: [],
    ctx: [],
    xhat: [],
    tn: [],
    ffnIn: [],
    hidden: [],
  };
  const grams = tf.tidy(() => {
    const layers = Array.from({ length: Lc }, () => 0);
    const tokens = (w: number) => layers.map(() => tf.zeros([N * T, w]) as tf.Tensor2D);
    const taps: tf.Tensor2D[][] = [tokens(3 * H * dh), tokens(d)];
    if (ffn) taps.push(tokens(F), tokens(d));
    const embedTaps = embed ? embedZeroTaps({ N, T, M }, d, V) : [];
    const f = (...t: tf.Tensor[]) => {
      const part = (k: number) => t.slice(k * Lc, (k + 1) * Lc) as tf.Tensor2D[];
      const e = t.slice(taps.length * Lc) as tf.Tensor2D[];
      const logits = model.forward(
        { tokens: pt.tokens, positions: pt.positions },
        {
          taps: {
            qkv: part(0),
            y: part(1),
            ...(ffn ? { h: part(2), out: part(3) } : {}),
            ...(embed ? { embed: embedTapsOf(e) } : {}),
          },
          capture,
        },
      );
      return probeObjective(logits, probe, pt.oneHot, pt.projections);
    };
    const D = tf.grads(f)([...taps.flat(), ...embedTaps]);
    const perLayer: tf.Tensor[] = [];
    for (let l = 0; l < Lc; l++) {
      perLayer.push(
        headGrams(capture.xAug[l]!, capture.ctx[l]!, D[l]!, D[Lc + l]!, { n, Rp, T, H, dh }),
      );
    }
    if (ffn) {
      for (let l = 0; l < Lc; l++) {
        const dims = { n, Rp, T };
        perLayer.push(
          ffnGram(capture.ffnIn[l]!, capture.hidden[l]!, D[2 * Lc + l]!, D[3 * Lc + l]!, dims),
        );
      }
    }
    if (embed) {
      perLayer.push(probeEmbedGram(D.slice(taps.length * Lc), capture, pt.tokens, { n, Rp, T, M }));
    }
    return tf.concat(perLayer, 0).mul(probe.weight);
  });
  for (const t of Object.values(capture).flat()) t.dispose();
  const out = (await grams.data()) as Float32Array;
  grams.dispose();
  return out;
}
