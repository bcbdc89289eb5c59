import { DataError } from '../../data/corpus';
import type { FamilyCode } from '../family-code';
import { bertFamily } from './descriptor';
import { bertStepFlops, bertEvaluationFlops } from './flops';
import { fastBertKernels } from './kernel';
import { TinyBert } from './model';
import { oracleBertKernels } from './oracle';
import { BertMlmTask } from './task';

/** The bert family: its descriptor, its task, and its parts. */
export const bertCode: FamilyCode<'bert'> = {
  descriptor: bertFamily,
  createTask(config, data, rng) {
    if (!data.corpus) throw new DataError('the Austen corpus is not loaded');
    return new BertMlmTask(config, data.corpus, rng);
  },
  parts: {
    model: TinyBert,
    fastKernels: fastBertKernels,
    oracleKernels: oracleBertKernels,
    stepFlops: bertStepFlops,
    evaluationFlops: bertEvaluationFlops,
  },
};
