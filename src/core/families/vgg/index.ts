import type { FamilyCode } from '../family-code';
import { taskOnData } from '../family-code';
import { vggFamily } from './descriptor';
import { vggStepFlops, vggEvaluationFlops } from './flops';
import { fastFilterGroupKernels } from './kernel';
import { SmallVgg } from './model';
import { oracleFilterGroupKernels } from './oracle';
import { VggFashionTask } from './task';

/** The vgg family: its descriptor, its task, and its parts. */
export const vggCode: FamilyCode<'vgg'> = {
  descriptor: vggFamily,
  createTask: taskOnData(vggFamily.dataKind, VggFashionTask),
  parts: {
    model: SmallVgg,
    fastKernels: fastFilterGroupKernels,
    oracleKernels: oracleFilterGroupKernels,
    stepFlops: vggStepFlops,
    evaluationFlops: vggEvaluationFlops,
  },
};
