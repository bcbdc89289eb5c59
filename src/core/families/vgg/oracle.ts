import * as tf from '@tensorflow/tfjs';
import { perSampleOracle } from '../../oracle-gram';
import type { ImageProbe } from './kernel';
import type { SmallVgg } from './model';
import { sampleLosses } from '../model';

/**
 * The brute-force reference for `fastFilterGroupKernels` (docs/method.md, "The oracle and
 * tolerances"; `perSampleOracle`): for every probe image alone (batch of one) and every scalar
 * function s_r, one backward pass to the filter groups' own variables (tf.variableGrads), each
 * module's [w, b] gradients flattened into the row G_r[i]; then Θ_m = w Σ_r G_r G_rᵀ accumulated
 * in float64. No taps, no patches, no batching over samples. Returns [modules, n, n] row-major
 * (float64).
 */
export function oracleFilterGroupKernels(model: SmallVgg, probe: ImageProbe): Float64Array {
  const { batch: n, x, y } = probe.batch;
  const { inputSize: S, inChannels: C } = model.size;
  const px = S * S * C;
  const k = probe.outputs;
  return perSampleOracle(model, n, probe, (i) => {
    const xi = tf.tensor4d(x.slice(i * px, (i + 1) * px), [1, S, S, C]);
    const oneHot = tf.tidy(
      () => tf.oneHot(tf.tensor1d([y[i]!], 'int32'), k).toFloat() as tf.Tensor2D,
    );
    return {
      objective: (r) => {
        const logits = model.forward(xi, { allGroups: true });
        if (probe.kernel === 'loss') return sampleLosses(logits, oneHot).sum();
        const p = tf.tensor2d(probe.projections.slice(r * k, (r + 1) * k), [1, k]);
        return logits.mul(p).sum();
      },
      dispose: () => tf.dispose([xi, oneHot]),
    };
  });
}
