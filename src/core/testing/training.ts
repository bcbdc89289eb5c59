import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { LabModel } from '../families/model';
import { trainedVariables } from '../families/model';
import { FusedAdam } from '../optim/adam';
import type { ProfiledKernel } from './kernels';
import { executedMatmuls, gradError } from './kernels';

type Groupable = Pick<
  LabModel,
  'backboneVariables' | 'moduleVariables' | 'setGroups' | 'sharedParts'
>;

/**
 * The variables a step with modules `on` updated trains: the backbone, the shared parts with an
 * updated module, each updated module's (the Session's own rule, `trainedVariables`).
 */
export function activeVariables(model: Groupable, on: readonly boolean[]): tf.Variable[] {
  return trainedVariables(model, on);
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

/**
 * A step kernel's loss and gradients against the plain step's (`ref`, every module updated):
 * the same loss to 1e-6, each variable's gradient within 1e-5 of the reference's largest entry
 * (another summation order); then, with every third module frozen, the updated modules'
 * gradients as the grouped step has them (`expectGroupedGradients`).
 */
export function expectStepGradients(
  model: Groupable & Pick<LabModel, 'modules' | 'allVariables'>,
  step: { loss: tf.Scalar; gradients: (vars: tf.Variable[]) => tf.Tensor[] },
  ref: { value: tf.Scalar; grads: tf.NamedTensorMap },
  loss: () => tf.Scalar,
): void {
  expect(step.loss.dataSync()[0]).toBeCloseTo(ref.value.dataSync()[0]!, 6);
  const vars = model.allVariables();
  const got = tf.tidy(() => step.gradients(vars).map((g) => tf.keep(g)));
  vars.forEach((v, i) => {
    expect(got[i]!.shape, v.name).toEqual(v.shape);
    expect(gradError(ref.grads[v.name]!.dataSync(), got[i]!.dataSync()), v.name).toBeLessThan(1e-5);
  });
  tf.dispose(got);
  const on = model.modules.map((_, m) => m % 3 !== 1);
  expectGroupedGradients(model, on, loss, step.gradients);
}
