import type { ExperimentConfig } from '../config';
import type { EvaluationFlops, StepFlops } from '../flops';
import type { Rng } from '../rng';
import type { FamilyDescriptor } from './family';
import type { LabModel } from './model';
import type { Task, TaskData } from './types';

/**
 * A model family's code: what `families/index.ts` registers for each family. Besides the task
 * the Session trains, it names the family's parts, so that a family without a fast kernel, an
 * oracle or FLOP counts does not compile, and `families.test.ts` can check that each part has
 * its test against an independent reference.
 */
export interface FamilyCode<Id extends string = string> {
  descriptor: FamilyDescriptor<Id>;
  /** The task for `config` on its data (a `DataError` when the data is not loaded). */
  createTask(config: ExperimentConfig, data: TaskData, rng: Rng): Task;
  parts: {
    /** The model: modules as separate variables, a forward with taps for its module kinds. */
    model: abstract new (...args: never[]) => LabModel;
    /** The fast mNTK of every module, [modules, n, n] (float32, on the backend). */
    fastKernels: (...args: never[]) => Promise<Float32Array>;
    /** The brute-force float64 recomputation the fast kernel is tested against. */
    oracleKernels: (...args: never[]) => Float64Array;
    /** Analytic FLOPs of a training step with some modules frozen. */
    stepFlops: (...args: never[]) => StepFlops;
    /** Analytic FLOPs of one mNTK evaluation. */
    evaluationFlops: (...args: never[]) => EvaluationFlops;
  };
}
