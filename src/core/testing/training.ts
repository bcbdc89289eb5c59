import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { LabModel } from '../families/model';
import { FusedAdam } from '../optim/adam';
import type { ProfiledKernel } from './kernels';
import { executedMatmuls, gradError } from './kernels';

type Groupable = Pick<LabModel, 'backboneVariables' | 'moduleVariables' | 'setGroups'>;

/** The variables a step with modules `on` updated trains: the backbone, then each updated module's. */
export function activeVariables(model: Groupable, on: readonly boolean[]): tf.Variable[] {
  return [
    ...model.backboneVariables(),
    ...on.flatMap((u, m) => (u ? model.moduleVariables(m) : [])),
  ];
}

/**
 * A step kernel's `gradients` for the variables a step with modules `on` updated trains, against
 * that grouped step's own (`loss` after regrouping the model): each within 1e-5 of the
 * reference's largest entry (the grouping sums in another order).
 */
export function expectGroupedGradients(
  model: Groupable,
  on: boolean[],
  loss: () => tf.Scalar,
  gradients: (vars: tf.Variable[]) => tf.Tensor[],
): void {
  model.setGroups(on);
  const active = activeVariables(model, on);
  const grouped = tf.variableGrads(loss, active);
  const some = tf.tidy(() => gradients(active).map((g) => tf.keep(g)));
  active.forEach((v, i) => {
    const b = grouped.grads[v.name]!.dataSync();
    expect(gradError(b, some[i]!.dataSync()), v.name).toBeLessThan(1e-5);
  });
  tf.dispose([some, grouped.value, Object.values(grouped.grads)]);
}

const adam = (lr: number) => new FusedAdam({ lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });

/**
 * Kernels of one training step (forward, backward, FusedAdam with lr 1e-3) on `loss` with
 * modules `on` updated: regroups the model, profiles the step, and returns every executed
 * kernel with the matmuls among them and their FLOPs (`executedMatmuls`).
 */
export async function profileAdamStep(
  model: Groupable,
  on: boolean[],
  loss: () => tf.Scalar,
): Promise<{ kernels: ProfiledKernel[]; matmuls: ProfiledKernel[]; matmulFlops: number }> {
  model.setGroups(on);
  const vars = activeVariables(model, on);
  const opt = adam(1e-3);
  opt.setActive(vars);
  const info = await tf.profile(() => {
    tf.tidy(() => {
      const { value, grads } = tf.variableGrads(loss, vars);
      opt.apply(vars.map((v) => grads[v.name]!));
      value.dispose();
    });
  });
  opt.dispose();
  return { kernels: info.kernels, ...executedMatmuls(info.kernels) };
}

/**
 * Regroups the model for `on`, takes one FusedAdam step (lr 1e-2) on `loss` over the updated
 * variables, and asserts that exactly those changed: every frozen variable stays bit-identical.
 */
export function expectOnlyUpdatedMove(
  model: Groupable & Pick<LabModel, 'allVariables'>,
  on: boolean[],
  loss: () => tf.Scalar,
): void {
  model.setGroups(on);
  const snapshot = model.allVariables().map((v) => Float32Array.from(v.dataSync()));
  const vars = activeVariables(model, on);
  const opt = adam(1e-2);
  opt.setActive(vars);
  tf.tidy(() => {
    const { grads } = tf.variableGrads(loss, vars);
    opt.apply(vars.map((v) => grads[v.name]!));
  });
  const trained = new Set(vars.map((v) => v.name));
  model.allVariables().forEach((v, i) => {
    const same = v.dataSync().every((val, j) => val === snapshot[i]![j]);
    expect(same, v.name).toBe(!trained.has(v.name));
  });
  opt.dispose();
}
