/**
 * Which parts of a transformer (BERT, Switch) are MAT modules: the `modules` config field. Plain
 * data (no TF.js), so the config schema, the URL codec and the form can read it.
 *
 * Attention heads are always modules (every list starts with `heads`); `ffn` makes each BERT
 * layer's feed-forward block one module (`L{l}.F`), `embed` the embeddings one module (`E`:
 * token and position embeddings and their LayerNorm). The Switch Transformer's feed-forward
 * blocks are its experts, which are always modules, so `ffn` adds nothing there. Whatever is not
 * a module is backbone and always trains. The default, `heads`, gives every family the modules
 * it had before the field existed (BERT: heads; Switch: heads and experts).
 *
 * `shared` (last in a list) puts the parts a sublayer's modules share under their control
 * instead of the backbone's: a layer's attention output bias and LayerNorm train while any of
 * its heads trains; with the FFN blocks modules, the FFN's LayerNorm with its block; the Switch
 * Transformer's router and FFN LayerNorm while any of the layer's experts trains. Then a layer
 * whose modules are all frozen has nothing left that trains, and backprop stops above it (see
 * docs/method.md, "Backprop that stops").
 */
export const MODULE_LISTS = [
  'heads',
  'heads,ffn',
  'heads,embed',
  'heads,ffn,embed',
  'heads,shared',
  'heads,ffn,shared',
  'heads,embed,shared',
  'heads,ffn,embed,shared',
] as const;
export type ModuleList = (typeof MODULE_LISTS)[number];

/** The default list: heads only (and the Switch Transformer's experts). */
export const DEFAULT_MODULES: ModuleList = 'heads';

/** The list in words, for the form. */
export const MODULE_LIST_LABELS: Readonly<Record<ModuleList, string>> = {
  heads: 'heads',
  'heads,ffn': 'heads + FFN blocks',
  'heads,embed': 'heads + embeddings',
  'heads,ffn,embed': 'heads + FFN blocks + embeddings',
  'heads,shared': 'heads, with their layer’s bias and norm',
  'heads,ffn,shared': 'heads + FFN blocks, with their biases and norms',
  'heads,embed,shared': 'heads + embeddings, with the heads’ bias and norm',
  'heads,ffn,embed,shared': 'heads + FFN blocks + embeddings, with biases and norms',
};

/** The kinds besides heads that a list makes modules. */
export interface ModuleSelection {
  /** Each BERT layer's FFN block is a module (kind `ffn`). */
  ffn: boolean;
  /** The embeddings are a module (kind `embed`). */
  embed: boolean;
  /** The parts a sublayer's modules share train with them, not as backbone (absent: no). */
  shared?: boolean;
}

/** Heads only: the selection of the default list. */
export const HEADS_ONLY: Readonly<ModuleSelection> = { ffn: false, embed: false, shared: false };

/** The selection a list names. */
export function moduleSelection(list: string): ModuleSelection {
  const kinds = list.split(',');
  return {
    ffn: kinds.includes('ffn'),
    embed: kinds.includes('embed'),
    shared: kinds.includes('shared'),
  };
}

const ORDER = ['heads', 'ffn', 'embed', 'shared'];

/**
 * A list with its kinds in the canonical order (heads, ffn, embed, shared), so `embed,heads` reads as
 * `heads,embed`; a list with an unknown or repeated kind is returned as it is (and then fails
 * validation).
 */
export function canonicalModuleList(raw: string): string {
  const kinds = raw.split(',');
  if (new Set(kinds).size !== kinds.length || !kinds.every((k) => ORDER.includes(k))) return raw;
  return [...kinds].sort((a, b) => ORDER.indexOf(a) - ORDER.indexOf(b)).join(',');
}
