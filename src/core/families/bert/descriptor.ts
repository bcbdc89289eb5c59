import type { FamilyDescriptor, FamilyField, Preset } from '../family';
import { PERPLEXITY } from '../family';

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

/** What every transformer on the Austen corpus shares: its data, metric and loss. */
export const MLM_ON_AUSTEN = {
  data: ['austen'],
  dataKind: 'corpus',
  metric: PERPLEXITY,
  lossWords: 'Masked-token cross-entropy',
} as const;

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
  ...MLM_ON_AUSTEN,
  moduleKinds: ['head', 'ffn', 'embed'],
  moduleWords: { one: 'head', many: 'heads', rows: 'layer·head' },
  fields: TRANSFORMER_FIELDS,
  presets,
  stepKernel: true,
} as const satisfies FamilyDescriptor<'bert', 'austen'>;
