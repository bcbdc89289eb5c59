import * as tf from '@tensorflow/tfjs';
import type { Probe, ProbeTensors } from '../transformer/kernel';
import { headGrams, probeObjective } from '../transformer/kernel';
import type { Captured } from '../transformer/model';
import type { TinyBert } from './model';

/**
 * Every head's n × n kernel in one forward and one backward pass over the replicated probe
 * batch: gradients of Σ s with respect to zero taps on the q|k|v and output-projection outputs
 * are the per-sample output gradients D_i; a head's per-sample parameter gradient is then
 * X̃_iᵀ D_i (tokens summed, bias via the ones column) for q|k|v and ctx_iᵀ D_i for its output
 * rows, and Θ = w Σ_r G_r G_rᵀ. Returns [modules, n, n] row-major, module order L0.H0, L0.H1, …
 */
export async function fastHeadKernels(
  model: TinyBert,
  probe: Probe,
  pt: ProbeTensors,
): Promise<Float32Array> {
  const { layers: Lc, heads: H, dModel: d, seqLen: T } = model.size;
  const dh = model.dHead;
  const n = probe.batch.batch;
  const Rp = probe.numProjections;
  const N = Rp * n;
  const capture: Captured = { xAug: [], ctx: [] };
  const grams = tf.tidy(() => {
    const taps = {
      qkv: Array.from({ length: Lc }, () => tf.zeros([N * T, 3 * H * dh]) as tf.Tensor2D),
      y: Array.from({ length: Lc }, () => tf.zeros([N * T, d]) as tf.Tensor2D),
    };
    const f = (...t: tf.Tensor[]) => {
      const logits = model.forward(
        { tokens: pt.tokens, positions: pt.positions },
        {
          taps: { qkv: t.slice(0, Lc) as tf.Tensor2D[], y: t.slice(Lc) as tf.Tensor2D[] },
          capture,
        },
      );
      return probeObjective(logits, probe, pt.oneHot, pt.projections);
    };
    const D = tf.grads(f)([...taps.qkv, ...taps.y]);
    const perLayer: tf.Tensor[] = [];
    for (let l = 0; l < Lc; l++) {
      perLayer.push(
        headGrams(capture.xAug[l]!, capture.ctx[l]!, D[l]!, D[Lc + l]!, { n, Rp, T, H, dh }),
      );
    }
    return tf.concat(perLayer, 0).mul(probe.weight);
  });
  for (const t of [...capture.xAug, ...capture.ctx]) t.dispose();
  const out = (await grams.data()) as Float32Array;
  grams.dispose();
  return out;
}
