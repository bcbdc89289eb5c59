import type { FamilyCode } from '../family-code';
import { mlpFamily } from './descriptor';
import { mlpStepFlops, mlpEvaluationFlops } from './flops';
import { fastNeuronKernels } from './kernel';
import { Mlp } from './model';
import { oracleNeuronKernels } from './oracle';
import { MlpToyTask } from './task';

/** The mlp family: its descriptor, its task, and its parts. */
export const mlpCode: FamilyCode<'mlp'> = {
  descriptor: mlpFamily,
  createTask: (config, _data, rng) => new MlpToyTask(config, rng),
  parts: {
    model: Mlp,
    fastKernels: fastNeuronKernels,
    oracleKernels: oracleNeuronKernels,
    stepFlops: mlpStepFlops,
    evaluationFlops: mlpEvaluationFlops,
  },
};
