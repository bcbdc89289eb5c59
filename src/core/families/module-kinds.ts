/**
 * Every kind of MAT module, with how the interface names it. Policies compare λmax only among
 * modules of the same kind. A new kind is one line here, then the family that has it gives its
 * modules that kind (model, fast kernel, oracle, FLOPs; see ARCHITECTURE.md).
 */
export const MODULE_KINDS = {
  head: { letter: 'H', one: 'head', many: 'attention heads' },
  expert: { letter: 'E', one: 'expert', many: 'experts' },
  filters: { letter: 'G', one: 'filter group', many: 'filter groups' },
  units: { letter: 'U', one: 'classifier unit group', many: 'classifier unit groups' },
  neuron: { letter: 'N', one: 'neuron', many: 'neurons' },
  ffn: { letter: 'F', one: 'FFN block', many: 'FFN blocks' },
  embed: { letter: 'Emb', one: 'embeddings', many: 'embeddings', single: true },
} as const satisfies Record<string, ModuleKindInfo>;

export interface ModuleKindInfo {
  /** Letter of row labels: `L0·H3` is head 3 of layer 0. */
  letter: string;
  /** One module, in words. */
  one: string;
  /** Several, in words (plural). */
  many: string;
  /** At most one module of this kind per model: its row label is the letter alone (`Emb`). */
  single?: boolean;
}

/** Kinds of MAT module. */
export type ModuleKind = keyof typeof MODULE_KINDS;

/** Every kind's name, for schemas (`z.enum`). */
export const MODULE_KIND_NAMES = Object.keys(MODULE_KINDS) as [ModuleKind, ...ModuleKind[]];

/** A kind's words; a kind this build does not know (an old run file) gets neutral ones. */
export function moduleKindInfo(kind: string): ModuleKindInfo {
  return (
    (MODULE_KINDS as Record<string, ModuleKindInfo>)[kind] ?? {
      letter: '?',
      one: `${kind} module`,
      many: `${kind} modules`,
    }
  );
}

/**
 * A module's row label, as the lab and the reports show it: `L0·H3` is head 3 of layer 0; a
 * kind with one module per model is its letter alone (`Emb`).
 */
export function moduleLabel(m: {
  id?: string;
  kind: string;
  layer: number;
  index: number;
}): string {
  const info = moduleKindInfo(m.kind);
  return info.single ? info.letter : `L${m.layer}·${info.letter}${m.index}`;
}
