import * as tf from '@tensorflow/tfjs';
import type { ModuleInfo } from '../types';

/**
 * What every model offers MAT: modules whose parameters are their own variables (so a frozen
 * module is simply left out of the optimizer's list), the always-trained backbone, and a hook
 * to regroup the computation when decisions change (e.g. updated vs frozen heads run as two
 * matmuls, the frozen group's weights cached).
 */
export interface LabModel {
  readonly modules: ModuleInfo[];
  backboneVariables(): tf.Variable[];
  /** The variables of module `m` (index into `modules`). */
  moduleVariables(m: number): tf.Variable[];
  allVariables(): tf.Variable[];
  /** Called whenever decisions change; `updating[m]` for every module. */
  setGroups(updating: boolean[]): void;
  dispose(): void;
}

/**
 * Indices 0 … count − 1 split by `on` into [those for which it holds, the others]: how every
 * model cuts a layer's modules into an updated and a frozen group in `setGroups`.
 */
export function splitIndices(count: number, on: (i: number) => boolean): [number[], number[]] {
  const yes: number[] = [];
  const no: number[] = [];
  for (let i = 0; i < count; i++) (on(i) ? yes : no).push(i);
  return [yes, no];
}

/**
 * Softmax cross-entropy per row, [N]: log Σ_c exp(logit_c) − the target's logit (`oneHot` the
 * [N, C] one-hot targets). A row is a sample (MLP, VGG) or a masked position (BERT, Switch).
 */
export function sampleLosses(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Tensor1D {
  return tf.logSumExp(logits, 1).sub(logits.mul(oneHot).sum(1)) as tf.Tensor1D;
}
