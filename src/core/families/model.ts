import type * as tf from '@tensorflow/tfjs';
import type { ModuleInfo } from '../types';

/**
 * What every model offers MAT: modules whose parameters are their own variables (so a frozen
 * module is simply left out of the optimizer's list), the always-trained backbone, and a hook
 * to regroup the computation when decisions change (e.g. updated vs frozen heads run as two
 * matmuls, the frozen group's weights cached).
 */
export interface LabModel {
  readonly modules: ModuleInfo[];
  /** Variables always trained. */
  backboneVariables(): tf.Variable[];
  /**
   * Parameters a group of modules shares (a transformer layer's attention output bias and
   * LayerNorm): each part trains while any of its modules is updated. Absent: none.
   */
  sharedParts?(): SharedPart[];
  /** The variables of module `m` (index into `modules`). */
  moduleVariables(m: number): tf.Variable[];
  allVariables(): tf.Variable[];
  /** Called whenever decisions change; `updating[m]` for every module. */
  setGroups(updating: boolean[]): void;
  dispose(): void;
}

/** Variables shared by some modules, trained while any of them is updated. */
export interface SharedPart {
  variables: tf.Variable[];
  /** Indices into `modules`. */
  modules: number[];
}

/**
 * The variables a step trains under `updating` (one decision per module): the backbone, the
 * shared parts with an updated module, and the updated modules' own.
 */
export function trainedVariables(
  model: Pick<LabModel, 'backboneVariables' | 'moduleVariables' | 'sharedParts'>,
  updating: readonly boolean[],
): tf.Variable[] {
  const vars = [...model.backboneVariables()];
  for (const part of model.sharedParts?.() ?? []) {
    if (part.modules.some((m) => updating[m])) vars.push(...part.variables);
  }
  updating.forEach((u, m) => {
    if (u) vars.push(...model.moduleVariables(m));
  });
  return vars;
}

/**
 * The variables whose gradients a step kernel's pass computes before the decision: the backbone
 * and every shared part (any of them may train once the modules are decided).
 */
export function passVariables(model: LabModel): tf.Variable[] {
  return [
    ...model.backboneVariables(),
    ...(model.sharedParts?.() ?? []).flatMap((p) => p.variables),
  ];
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

/** Softmax cross-entropy per row (core/fused/cross-entropy.ts). */
export { sampleLosses } from '../fused/cross-entropy';
