import type { FamilyCode } from '../family-code';
import { taskOnData } from '../family-code';
import { bertFamily } from './descriptor';
import { bertStepFlops, bertEvaluationFlops } from './flops';
import { fastBertKernels } from './kernel';
import { TinyBert } from './model';
import { oracleBertKernels } from './oracle';
import { BertMlmTask } from './task';

/** The bert family: its descriptor, its task, and its parts. */
export const bertCode: FamilyCode<'bert'> = {
  descriptor: bertFamily,
  createTask: taskOnData(bertFamily.dataKind, BertMlmTask),
  parts: {
    model: TinyBert,
    fastKernels: fastBertKernels,
    oracleKernels: oracleBertKernels,
    stepFlops: bertStepFlops,
    evaluationFlops: bertEvaluationFlops,
  },
};
