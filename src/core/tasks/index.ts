import type { ExperimentConfig } from '../config';
import type { Corpus } from '../data/corpus';
import { DataError } from '../data/corpus';
import type { Rng } from '../rng';
import { BertMlmTask } from './bert-mlm';
import { MlpToyTask } from './mlp-toy';
import type { Task } from './types';

/** Data a task may need, loaded by the host (fetch in the browser, fs in Node). */
export interface TaskData {
  corpus?: Corpus | null;
}

/** Builds the task for `config.model` on its data. */
export function createTask(config: ExperimentConfig, data: TaskData, rng: Rng): Task {
  switch (config.model) {
    case 'bert': {
      if (!data.corpus) throw new DataError('the Austen corpus is not loaded');
      return new BertMlmTask(config, data.corpus, rng);
    }
    case 'mlp':
      return new MlpToyTask(config, rng);
    case 'switch':
    case 'vgg':
      throw new DataError(`the ${config.model} model is not available yet`);
  }
}

/** Whether the model trains on the Austen corpus (the host must load it). */
export const needsCorpus = (config: ExperimentConfig): boolean =>
  config.model === 'bert' || config.model === 'switch';
