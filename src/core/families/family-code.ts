import type { ExperimentConfig } from '../config';
import { DataError } from '../data/corpus';
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

/** The loaded data a task trains on, in words (for the error when it is missing). */
const DATA_WORDS = { corpus: 'the Austen corpus', fashion: 'Fashion-MNIST' } as const;

/**
 * `createTask` of a family whose task trains on loaded data (`dataKind`, its descriptor's): the
 * task on that data, or a `DataError` when it is not loaded.
 */
export function taskOnData<K extends keyof typeof DATA_WORDS>(
  dataKind: K,
  TaskClass: new (config: ExperimentConfig, data: NonNullable<TaskData[K]>, rng: Rng) => Task,
): FamilyCode['createTask'] {
  return (config, data, rng) => {
    const loaded = data[dataKind];
    if (!loaded) throw new DataError(`${DATA_WORDS[dataKind]} is not loaded`);
    return new TaskClass(config, loaded, rng);
  };
}
