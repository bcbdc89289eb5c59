import * as tf from '@tensorflow/tfjs';
import { oracleMlmKernels } from '../transformer/oracle';
import type { TinySwitch } from './model';
import type { Probe } from '../transformer/kernel';
import { makeProbe } from '../transformer/kernel';
import type { MlmBatch } from '../../data/mlm';
import { createRng } from '../../rng';

/**
 * The brute-force reference for the Switch Transformer (docs/method.md, "The oracle and
 * tolerances"). The routing is first computed once on the whole n-sample probe batch (as the
 * fast path defines it: one routing group of n·T tokens). Then, for every sample alone and every
 * scalar function s_r, one backward pass to the modules' own variables with that sample's rows
 * of the batch's dispatch mask passed in as a fixed routing — so the sample sees exactly the
 * experts and the drops it had in the batch — flattened into the row G_r[i]; Θ_m = w Σ_r G_r G_rᵀ
 * accumulated in float64. Shares nothing with the fast path but the model's forward: no taps, no
 * replication, no routing groups, no slot/token bookkeeping. Returns [modules, n, n] row-major.
 */
export function oracleSwitchKernels(model: TinySwitch, probe: Probe, vocab: number): Float64Array {
  const { batch: n, seqLen: T } = probe.batch;
  const E = model.size.experts;
  const all = tf.tensor2d(probe.batch.inputs, [n, T], 'int32');
  const masks = model.dispatchMasks(all);
  const maskData = masks.map((m) => m.dataSync().slice());
  for (const m of masks) m.dispose();
  all.dispose();
  // Sample i's rows of the batch's dispatch masks, as a fixed routing (created inside the
  // gradient's scope, so they are released with it).
  return oracleMlmKernels(model, probe, vocab, (i, input) => {
    const fixed = maskData.map((m) => tf.tensor2d(m.slice(i * T * E, (i + 1) * T * E), [T, E]));
    return model.forward(input, { routing: { masks: fixed, capacity: T } }).logits;
  });
}

/**
 * The reference for the Switch 'step' kernel (`stepSwitchKernels`): the loss kernel of the first
 * n sequences of a training batch of B, with each sequence's objective J_i = ℓ_i + its share of
 * the load-balancing loss. The routing is computed once on the whole batch, as training does (one
 * group of B·T tokens), with each layer's f_e; then, as `oracleSwitchKernels`, every sequence
 * alone with its rows of the batch's dispatch masks as a fixed routing and the batch's f_e, one
 * backward pass of J_i per sequence, Θ accumulated in float64.
 */
export function oracleSwitchStepKernels(
  model: TinySwitch,
  batch: MlmBatch,
  n: number,
  vocab: number,
): Float64Array {
  const { batch: B, seqLen: T, masked: M } = batch;
  const E = model.size.experts;
  const all = tf.tensor2d(batch.inputs, [B, T], 'int32');
  const masks: tf.Tensor2D[] = [];
  const fractions: tf.Tensor1D[] = [];
  tf.tidy(() => {
    model.forward({ tokens: all, positions: tf.tensor1d([0], 'int32') }, { masks, fractions });
  });
  all.dispose();
  const maskData = masks.map((m) => m.dataSync().slice());
  const fracData = fractions.map((f) => f.dataSync().slice());
  tf.dispose([masks, fractions]);
  const first: MlmBatch = {
    ...batch,
    inputs: batch.inputs.slice(0, n * T),
    positions: batch.positions.slice(0, n * M),
    targets: batch.targets.slice(0, n * M),
    batch: n,
  };
  const probe = makeProbe(first, vocab, 'loss', 1, createRng(0));
  return oracleMlmKernels(model, probe, vocab, (i, input) => {
    const routing = {
      masks: maskData.map((m) => tf.tensor2d(m.slice(i * T * E, (i + 1) * T * E), [T, E])),
      capacity: T,
      fractions: fracData.map((f) => tf.tensor1d(f)),
    };
    return model.forward(input, { routing });
  });
}
