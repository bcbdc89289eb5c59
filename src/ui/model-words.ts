/** Words that depend on the model: what a MAT module is, what the loss measures. */
import type { ModelName } from '../core/config';

export const MODEL_LABELS: Record<ModelName, string> = {
  bert: 'tiny BERT (masked LM)',
  switch: 'tiny Switch Transformer',
  mlp: 'MLP on 2D data',
  vgg: 'small VGG (Fashion-MNIST)',
};

/** The model as a noun phrase with its article, for sentences. */
export function modelPhrase(model: ModelName): string {
  const label = MODEL_LABELS[model];
  return `${/^[aeiou]|^MLP/i.test(label) ? 'an' : 'a'} ${label}`;
}

export interface ModuleWords {
  /** One module, e.g. "head". */
  one: string;
  /** Several, e.g. "heads". */
  many: string;
  /** What a row label means, e.g. "layer·head". */
  rows: string;
}

export function moduleWords(model: string): ModuleWords {
  switch (model) {
    case 'switch':
      return { one: 'module', many: 'modules (heads and experts)', rows: 'layer·head or layer·expert' };
    case 'mlp':
      return { one: 'neuron', many: 'neurons', rows: 'layer·neuron' };
    case 'vgg':
      return { one: 'filter group', many: 'filter groups', rows: 'conv layer·group' };
    default:
      return { one: 'head', many: 'heads', rows: 'layer·head' };
  }
}

/** What the training loss is, in words. */
export function lossWords(model: string): string {
  return model === 'bert' || model === 'switch' ? 'Masked-token cross-entropy' : 'Cross-entropy';
}
