import type { ExperimentConfig, ModelName } from '../config';
import type { Rng } from '../rng';
import { bertCode } from './bert';
import type { FamilyCode } from './family-code';
import { mlpCode } from './mlp';
import { switchCode } from './switch';
import type { Task, TaskData } from './types';
import { vggCode } from './vgg';

export type { TaskData } from './types';

/**
 * Every family's code by name: one line per family (its descriptor is registered in
 * `descriptors.ts`). Typed over every model name, so a family left out does not compile.
 */
export const FAMILY_CODE: { readonly [M in ModelName]: FamilyCode<M> } = {
  bert: bertCode,
  switch: switchCode,
  mlp: mlpCode,
  vgg: vggCode,
};

/** Builds the task for `config.model` on its data. */
export function createTask(config: ExperimentConfig, data: TaskData, rng: Rng): Task {
  return FAMILY_CODE[config.model].createTask(config, data, rng);
}

/** Which data the host must load for `config`: the Austen corpus, Fashion-MNIST, or none. */
export function taskDataKind(config: ExperimentConfig): 'corpus' | 'fashion' | 'none' {
  return FAMILY_CODE[config.model].descriptor.dataKind;
}
