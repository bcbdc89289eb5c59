import * as tf from '@tensorflow/tfjs';
import { perSampleOracle } from '../../oracle-gram';
import type { ForwardInput } from './model';
import { sampleLosses } from '../model';
import type { LabModel } from '../model';
import type { Probe } from './kernel';

/**
 * The brute-force reference (docs/method.md, "The oracle and tolerances") for a masked-language
 * model (`perSampleOracle`): for every probe sample alone (batch of one) and every scalar
 * function s_r, one backward pass to the modules' own variables, flattened into the row G_r[i];
 * then Θ_m = w Σ_r G_r G_rᵀ accumulated in float64 on the CPU side. It shares nothing with the
 * fast path but the model's forward (`logitsFor(i, input)`: sample i's masked logits, built
 * inside the gradient's scope, or with `aux` a term the loss kernel's s_i adds to the sample's
 * mean cross-entropy): no taps, no batching over samples, no per-sample matmul tricks.
 * Returns [modules, n, n] row-major.
 */
export function oracleMlmKernels(
  model: LabModel,
  probe: Probe,
  vocab: number,
  logitsFor: (
    i: number,
    input: ForwardInput,
  ) => tf.Tensor2D | { logits: tf.Tensor2D; aux: tf.Scalar },
): Float64Array {
  const { batch } = probe;
  const { batch: n, seqLen: T, masked: M } = batch;
  const k = probe.outputs;
  return perSampleOracle(model, n, probe, (i) => {
    const tokens = tf.tensor2d(batch.inputs.slice(i * T, (i + 1) * T), [1, T], 'int32');
    const positions = tf.tensor1d(
      Array.from(batch.positions.slice(i * M, (i + 1) * M), (p) => p - i * T),
      'int32',
    );
    const oneHot = tf.tidy(
      () =>
        tf
          .oneHot(tf.tensor1d(batch.targets.slice(i * M, (i + 1) * M), 'int32'), vocab)
          .toFloat() as tf.Tensor2D,
    );
    return {
      objective: (r) => {
        const out = logitsFor(i, { tokens, positions });
        const logits = out instanceof tf.Tensor ? out : out.logits;
        if (probe.kernel === 'loss') {
          const loss = sampleLosses(logits, oneHot).mean() as tf.Scalar;
          return out instanceof tf.Tensor ? loss : (loss.add(out.aux) as tf.Scalar);
        }
        const p = tf.tensor1d(probe.projections.slice(r * k, (r + 1) * k));
        return logits.reshape([k]).mul(p).sum();
      },
      dispose: () => tf.dispose([tokens, positions, oneHot]),
    };
  });
}
