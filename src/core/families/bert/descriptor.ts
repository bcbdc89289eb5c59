import type { FamilyDescriptor, FamilyField, Preset } from '../family';

/** The fields of a transformer on the Austen corpus (BERT's; the Switch Transformer adds its own). */
export const TRANSFORMER_FIELDS = [
  'layers',
  'heads',
  'dModel',
  'dFF',
  'modules',
  'seqLen',
  'vocab',
  'valBatches',
] as const satisfies readonly FamilyField[];

const presets: Preset[] = [
  {
    id: 'bert-austen',
    label: 'Tiny BERT · Jane Austen (MLM)',
    explanation:
      'A 2-layer, 4-head BERT learns to fill in masked words of Austen’s novels. Watch the λmax ' +
      'heatmap separate the heads within a few evaluations after the warm-up: heads below α × ' +
      'the mean freeze (hatched), heads whose λmax stops moving are stopped by β (dots). The ' +
      'compute counter charges every kernel evaluation, so compare the saving with what freezing ' +
      'heads alone can save at most.',
    config: {},
  },
];

export const bertFamily = {
  id: 'bert',
  label: 'tiny BERT (masked LM)',
  data: ['austen'],
  dataKind: 'corpus',
  metric: { name: 'perplexity', higherIsBetter: false },
  lossWords: 'Masked-token cross-entropy',
  moduleKinds: ['head', 'ffn', 'embed'],
  moduleWords: { one: 'head', many: 'heads', rows: 'layer·head' },
  fields: TRANSFORMER_FIELDS,
  presets,
} as const satisfies FamilyDescriptor<'bert', 'austen'>;
