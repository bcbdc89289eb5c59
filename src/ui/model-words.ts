/** Words that depend on the model: what a MAT module is, what the loss measures. */
import type { ModelName } from '../core/config';
import { FAMILIES, MODELS, familyOf } from '../core/families/descriptors';

export const MODEL_LABELS = Object.fromEntries(MODELS.map((m) => [m, FAMILIES[m].label])) as Record<
  ModelName,
  string
>;

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

/** The family's modules in words; a model this build does not know gets neutral words. */
export function moduleWords(model: string): ModuleWords {
  return familyOf(model)?.moduleWords ?? { one: 'module', many: 'modules', rows: 'layer·module' };
}

/** What the training loss is, in words. */
export function lossWords(model: string): string {
  return familyOf(model)?.lossWords ?? 'Cross-entropy';
}
