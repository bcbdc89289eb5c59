import * as tf from '@tensorflow/tfjs';
import { oracleGrams } from '../../oracle-gram';
import type { Mlp } from './model';
import { sampleLosses } from './model';
import type { MlpProbe } from './kernel';

/**
 * The brute-force reference (docs/method.md, "The oracle and tolerances") for the MLP: for
 * every probe sample alone (batch of one) and every scalar function s_r (each logit, or the
 * loss), one backward pass to every neuron's own variable θ_j, flattened into the row G_r[i];
 * then Θ_j = w Σ_r G_r G_rᵀ accumulated in float64 on the CPU side. It shares nothing with the fast
 * path but the model's forward: no taps, no replication, no input-Gram factorisation.
 * Returns [modules, n, n] row-major (float64).
 */
export function oracleNeuronKernels(model: Mlp, probe: MlpProbe): Float64Array {
  const { n, numProjections: Rp, outputs: k } = probe;
  const F = model.size.features.length;
  const mods = model.modules.length;
  const vars = model.modules.map((_, m) => model.moduleVariables(m)[0]!);
  // rows[m][r][i] = ∂s_r(x_i)/∂θ_m
  const rows: Float64Array[][][] = Array.from({ length: mods }, () =>
    Array.from({ length: Rp }, () => new Array<Float64Array>(n)),
  );
  for (let i = 0; i < n; i++) {
    const x = tf.tensor2d(probe.x.slice(i * F, (i + 1) * F), [1, F]);
    const oneHot = tf.tidy(
      () => tf.oneHot(tf.tensor1d([probe.y[i]!], 'int32'), k).toFloat() as tf.Tensor2D,
    );
    for (let r = 0; r < Rp; r++) {
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.forward(x, { allNeurons: true });
        if (probe.kernel === 'loss') return sampleLosses(logits, oneHot).sum() as tf.Scalar;
        return logits.slice([0, r], [1, 1]).sum() as tf.Scalar;
      }, vars);
      value.dispose();
      vars.forEach((v, m) => {
        rows[m]![r]![i] = Float64Array.from(grads[v.name]!.dataSync());
      });
      for (const g of Object.values(grads)) g.dispose();
    }
    x.dispose();
    oneHot.dispose();
  }
  return oracleGrams(rows, n, probe.weight);
}
