import type { ExperimentConfig } from '../config';
import type { Corpus } from '../data/corpus';
import { DataError } from '../data/corpus';
import type { FashionData } from '../data/fashion';
import type { Rng } from '../rng';
import { BertMlmTask } from './bert/task';
import { MlpToyTask } from './mlp/task';
import { SwitchMlmTask } from './switch/task';
import type { Task } from './types';
import { VggFashionTask } from './vgg/task';

/** Data a task may need, loaded by the host (fetch in the browser, fs in Node). */
export interface TaskData {
  corpus?: Corpus | null;
  fashion?: FashionData | null;
}

/** Builds the task for `config.model` on its data. */
export function createTask(config: ExperimentConfig, data: TaskData, rng: Rng): Task {
  switch (config.model) {
    case 'bert': {
      if (!data.corpus) throw new DataError('the Austen corpus is not loaded');
      return new BertMlmTask(config, data.corpus, rng);
    }
    case 'switch': {
      if (!data.corpus) throw new DataError('the Austen corpus is not loaded');
      return new SwitchMlmTask(config, data.corpus, rng);
    }
    case 'mlp':
      return new MlpToyTask(config, rng);
    case 'vgg': {
      if (!data.fashion) throw new DataError('Fashion-MNIST is not loaded');
      return new VggFashionTask(config, data.fashion, rng);
    }
  }
}

/** Which data the host must load for `config`: the Austen corpus, Fashion-MNIST, or none. */
export function taskDataKind(config: ExperimentConfig): 'corpus' | 'fashion' | 'none' {
  switch (config.model) {
    case 'bert':
    case 'switch':
      return 'corpus';
    case 'vgg':
      return 'fashion';
    case 'mlp':
      return 'none';
  }
}

/** Whether the model trains on the Austen corpus (the host must load it). */
export const needsCorpus = (config: ExperimentConfig): boolean => taskDataKind(config) === 'corpus';
