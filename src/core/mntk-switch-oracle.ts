import * as tf from '@tensorflow/tfjs';
import { flattenRow, oracleGrams } from './oracle-gram';
import { tokenLosses } from './models/bert';
import type { TinySwitch } from './models/switch';
import type { Probe } from './mntk';

/**
 * The brute-force reference for the Switch Transformer (METHOD.md's oracle). The routing is
 * first computed once on the whole n-sample probe batch (as the fast path defines it: one
 * routing group of n·T tokens). Then, for every sample alone and every scalar function s_r,
 * one backward pass to the modules' own variables with that sample's rows of the batch's
 * dispatch mask passed in as a fixed routing — so the sample sees exactly the experts and the
 * drops it had in the batch — flattened into the row G_r[i]; Θ_m = w Σ_r G_r G_rᵀ accumulated
 * in float64. Shares nothing with the fast path but the model's forward: no taps, no
 * replication, no routing groups, no slot/token bookkeeping. Returns [modules, n, n] row-major.
 */
export function oracleSwitchKernels(model: TinySwitch, probe: Probe, vocab: number): Float64Array {
  const { batch } = probe;
  const { batch: n, seqLen: T, masked: M } = batch;
  const E = model.size.experts;
  const mods = model.modules.length;
  const Rp = probe.numProjections;
  const k = probe.outputs;
  const all = tf.tensor2d(batch.inputs, [n, T], 'int32');
  const masks = model.dispatchMasks(all);
  const maskData = masks.map((m) => m.dataSync().slice());
  for (const m of masks) m.dispose();
  all.dispose();
  const rows: Float64Array[][][] = Array.from({ length: mods }, () =>
    Array.from({ length: Rp }, () => new Array<Float64Array>(n)),
  );
  const moduleVars = model.modules.map((_, m) => model.moduleVariables(m));
  const varList = moduleVars.flat();
  for (let i = 0; i < n; i++) {
    const tokens = tf.tensor2d(batch.inputs.slice(i * T, (i + 1) * T), [1, T], 'int32');
    const pos = tf.tensor1d(
      Array.from(batch.positions.slice(i * M, (i + 1) * M), (p) => p - i * T),
      'int32',
    );
    const oneHot = tf.tidy(
      () =>
        tf
          .oneHot(tf.tensor1d(batch.targets.slice(i * M, (i + 1) * M), 'int32'), vocab)
          .toFloat() as tf.Tensor2D,
    );
    const fixed = maskData.map((m) => tf.tensor2d(m.slice(i * T * E, (i + 1) * T * E), [T, E]));
    for (let r = 0; r < Rp; r++) {
      const { value, grads } = tf.variableGrads(() => {
        const { logits } = model.forward(
          { tokens, positions: pos },
          { routing: { masks: fixed, capacity: T } },
        );
        if (probe.kernel === 'loss') return tokenLosses(logits, oneHot).mean();
        const p = tf.tensor1d(probe.projections.slice(r * k, (r + 1) * k));
        return logits.reshape([k]).mul(p).sum();
      }, varList);
      value.dispose();
      moduleVars.forEach((vars, m) => {
        const parts = vars.map((v) => grads[v.name]!.dataSync());
        const row = flattenRow(parts);
        rows[m]![r]![i] = row;
      });
      for (const g of Object.values(grads)) g.dispose();
    }
    for (const t of fixed) t.dispose();
    tokens.dispose();
    pos.dispose();
    oneHot.dispose();
  }
  return oracleGrams(rows, n, probe.weight);
}
