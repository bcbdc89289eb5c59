import * as tf from '@tensorflow/tfjs';
import { perSampleOracle } from '../../oracle-gram';
import type { Mlp } from './model';
import { sampleLosses } from '../model';
import type { MlpProbe } from './kernel';

/**
 * The brute-force reference (docs/method.md, "The oracle and tolerances") for the MLP
 * (`perSampleOracle`): for every probe sample alone (batch of one) and every scalar function s_r
 * (each logit, or the loss), one backward pass to every neuron's own variable θ_j, its row
 * G_r[i]; then Θ_j = w Σ_r G_r G_rᵀ accumulated in float64 on the CPU side. It shares nothing
 * with the fast path but the model's forward: no taps, no replication, no input-Gram
 * factorisation. Returns [modules, n, n] row-major (float64).
 */
export function oracleNeuronKernels(model: Mlp, probe: MlpProbe): Float64Array {
  const { n, outputs: k } = probe;
  const F = model.size.features.length;
  return perSampleOracle(model, n, probe, (i) => {
    const x = tf.tensor2d(probe.x.slice(i * F, (i + 1) * F), [1, F]);
    const oneHot = tf.tidy(
      () => tf.oneHot(tf.tensor1d([probe.y[i]!], 'int32'), k).toFloat() as tf.Tensor2D,
    );
    return {
      objective: (r) => {
        const logits = model.forward(x, { allNeurons: true });
        if (probe.kernel === 'loss') return sampleLosses(logits, oneHot).sum() as tf.Scalar;
        return logits.slice([0, r], [1, 1]).sum() as tf.Scalar;
      },
      dispose: () => tf.dispose([x, oneHot]),
    };
  });
}
