/** Words that depend on the model: what a MAT module is, what the loss measures. */
import type { ModelName } from '../core/config';
import { FAMILIES, MODELS, familyOf } from '../core/families/descriptors';
import { moduleKindInfo } from '../core/families/module-kinds';
import { DEFAULT_MODULES, moduleSelection } from '../core/families/transformer/selection';

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

/** How rows of a kind are labelled, in words: `layer·F`, or the letter of a single module. */
function rowWords(kind: string): string {
  const { letter, single } = moduleKindInfo(kind);
  return single ? letter : `layer·${letter}`;
}

/**
 * The family's modules in words; a model this build does not know gets neutral words. `modules`
 * is the transformers' `modules` field, `fc` the VGG's classifier stages: with FFN blocks, the
 * embeddings or classifier unit groups as modules too, a module is no longer only a head (or an
 * expert, or a filter group).
 */
export function moduleWords(
  model: string,
  modules = DEFAULT_MODULES as string,
  fc = 'none',
): ModuleWords {
  const family = familyOf(model);
  if (!family) return { one: 'module', many: 'modules', rows: 'layer·module' };
  const { ffn, embed } = moduleSelection(modules);
  const kinds: readonly string[] = family.moduleKinds;
  const extra = [
    ...(ffn && kinds.includes('ffn') ? ['ffn'] : []),
    ...(embed && kinds.includes('embed') ? ['embed'] : []),
    ...(fc !== 'none' && kinds.includes('units') ? ['units'] : []),
  ];
  if (extra.length === 0) return family.moduleWords;
  const optional = ['ffn', 'embed', 'units'];
  const all = [...kinds.filter((k) => !optional.includes(k)), ...extra];
  return {
    one: 'module',
    many: `modules (${all.map((k) => moduleKindInfo(k).many).join(', ')})`,
    // Each extra kind's row label as `moduleLabel` writes it: `layer·F`, `Emb`, `layer·U`.
    rows: [family.moduleWords.rows, ...extra.map(rowWords)].join(', '),
  };
}

/** What the training loss is, in words. */
export function lossWords(model: string): string {
  return familyOf(model)?.lossWords ?? 'Cross-entropy';
}
