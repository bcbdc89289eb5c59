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
      'A 2-layer, 4-head BERT learns to fill in masked words of Austen’s novels. Its heads, its ' +
      'two feed-forward blocks and its embeddings are modules, each compared with its own kind. ' +
      'Watch the λmax heatmap separate the heads within a few evaluations after the warm-up: ' +
      'heads below α × the mean freeze (hatched), modules whose λmax stops moving are stopped by ' +
      'β (dots). A layer’s bias and norms train while any of its modules does, so once the ' +
      'embeddings and layer 0 are frozen, backprop stops above them: the compute split shows ' +
      'the input gradients shrink. The kernel is taken from the training ' +
      'step itself (8 of its sequences), so an evaluation costs a fraction of a step, and the ' +
      'counter charges every one.',
    // Fixed 2026-12-01 before the third reproduction (README "Results"): the step kernel, FFN
    // blocks and embeddings as modules; n = 8 keeps an evaluation ≤ 0.5 vanilla steps with the
    // embeddings' kernel (0.20; 0.56 at n = 16). Fixed 2026-12-01 (evening) before the fourth:
    // the layers' biases and norms with their modules (`shared`), so backprop stops above a
    // frozen layer.
    config: { kernel: 'step', modules: 'heads,ffn,embed,shared', probe: 8 },
  },
  {
    id: 'bert-austen-wide',
    label: 'Wider BERT · Austen (8 heads, d 128)',
    explanation:
      'The over-parameterised regime MAT is about: the same task with twice the heads per layer ' +
      '(8), twice the width (d 128) and a 512-wide feed-forward block — 19 modules. With more ' +
      'heads than the task needs, watch how many λmax falls behind the mean of its kind and ' +
      'freezes, and what that saves in the compute split. A step costs about 1.7 times the ' +
      'small model’s.',
    // Fixed 2026-12-01 (evening) from measured ms/step only (bench/wide-candidates.ts: 1.66 ×
    // bert-austen's on WASM; 4 × 8 heads measured 6.3 × and was not chosen).
    config: {
      kernel: 'step',
      modules: 'heads,ffn,embed,shared',
      probe: 8,
      heads: 8,
      dModel: 128,
      dFF: 512,
    },
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
