import type { FamilyCode } from '../family-code';
import { taskOnData } from '../family-code';
import { switchFamily } from './descriptor';
import { switchStepFlops, switchEvaluationFlops } from './flops';
import { fastSwitchKernels } from './kernel';
import { TinySwitch } from './model';
import { oracleSwitchKernels } from './oracle';
import { SwitchMlmTask } from './task';

/** The switch family: its descriptor, its task, and its parts. */
export const switchCode: FamilyCode<'switch'> = {
  descriptor: switchFamily,
  createTask: taskOnData(switchFamily.dataKind, SwitchMlmTask),
  parts: {
    model: TinySwitch,
    fastKernels: fastSwitchKernels,
    oracleKernels: oracleSwitchKernels,
    stepFlops: switchStepFlops,
    evaluationFlops: switchEvaluationFlops,
  },
};
