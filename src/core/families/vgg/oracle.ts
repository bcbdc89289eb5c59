import * as tf from '@tensorflow/tfjs';
import { flattenRow, oracleGrams } from '../../oracle-gram';
import type { ImageProbe } from './kernel';
import type { SmallVgg } from './model';
import { sampleLosses } from './model';

/**
 * The brute-force reference for `fastFilterGroupKernels` (docs/method.md, "The oracle and
 * tolerances"): for every probe image alone (batch of one) and every scalar function s_r, one
 * backward pass to the filter groups' own variables (tf.variableGrads), each module's [w, b]
 * gradients flattened into the row G_r[i]; then Θ_m = w Σ_r G_r G_rᵀ accumulated in float64. No
 * taps, no patches, no batching over samples. Returns [modules, n, n] row-major (float64).
 */
export function oracleFilterGroupKernels(model: SmallVgg, probe: ImageProbe): Float64Array {
  const { batch: n, x, y } = probe.batch;
  const { inputSize: S, inChannels: C } = model.size;
  const px = S * S * C;
  const mods = model.modules.length;
  const Rp = probe.numProjections;
  const k = probe.outputs;
  const rows: Float64Array[][][] = Array.from({ length: mods }, () =>
    Array.from({ length: Rp }, () => new Array<Float64Array>(n)),
  );
  const moduleVars = model.modules.map((_, m) => model.moduleVariables(m));
  const varList = moduleVars.flat();
  for (let i = 0; i < n; i++) {
    const xi = tf.tensor4d(x.slice(i * px, (i + 1) * px), [1, S, S, C]);
    const oneHot = tf.tidy(
      () => tf.oneHot(tf.tensor1d([y[i]!], 'int32'), k).toFloat() as tf.Tensor2D,
    );
    for (let r = 0; r < Rp; r++) {
      const { value, grads } = tf.variableGrads(() => {
        const logits = model.forward(xi, { allGroups: true });
        if (probe.kernel === 'loss') return sampleLosses(logits, oneHot).sum();
        const p = tf.tensor2d(probe.projections.slice(r * k, (r + 1) * k), [1, k]);
        return logits.mul(p).sum();
      }, varList);
      value.dispose();
      moduleVars.forEach((vars, m) => {
        const parts = vars.map((v) => grads[v.name]!.dataSync());
        const row = flattenRow(parts);
        rows[m]![r]![i] = row;
      });
      for (const g of Object.values(grads)) g.dispose();
    }
    xi.dispose();
    oneHot.dispose();
  }
  return oracleGrams(rows, n, probe.weight);
}
