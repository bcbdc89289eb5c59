import { MLM_ON_AUSTEN, TRANSFORMER_FIELDS } from '../bert/descriptor';
import type { FamilyDescriptor, Preset } from '../family';

const presets: Preset[] = [
  {
    id: 'switch-austen',
    label: 'Tiny Switch Transformer · Austen (experts)',
    explanation:
      'The same masked-word task with every feed-forward block replaced by 4 experts and a ' +
      'top-1 router (capacity factor 1.25, load-balancing loss). Heads, experts and the ' +
      'embeddings are modules, each compared within its own kind. Watch the router-load panel ' +
      'beside the heatmap: an expert that receives few tokens gets a small kernel and is the ' +
      'first to freeze — MAT and the router interact. The kernel is taken from the training step ' +
      'itself (8 of its sequences, routed as the whole batch, that routing held fixed), so an ' +
      'evaluation costs a fraction of a step.',
    // Fixed 2026-12-01 before the third reproduction (README "Results"): the step kernel, the
    // embeddings as a module; n = 8 keeps an evaluation ≤ 0.5 vanilla steps (0.37; 0.97 at 16).
    config: {
      model: 'switch',
      data: 'austen',
      layers: 2,
      heads: 4,
      dModel: 64,
      dFF: 128,
      experts: 4,
      capacity: 1.25,
      kernel: 'step',
      modules: 'heads,embed',
      probe: 8,
    },
  },
  {
    id: 'switch-austen-wide',
    label: 'Wider Switch Transformer · Austen (8 heads, 8 experts)',
    explanation:
      'The switch-austen task with twice the heads (8 per layer) and twice the experts (8 per ' +
      'layer): 33 modules, most of them more than the task needs. Each expert now sees fewer ' +
      'tokens: watch the router-load panel and the experts’ λmax, and which kind MAT freezes ' +
      'first. A step costs about twice the small model’s.',
    // Fixed 2026-12-01 (evening) from measured ms/step only (2.0 × switch-austen's on WASM;
    // d 128 measured 5.3 × and was not chosen).
    config: {
      model: 'switch',
      data: 'austen',
      layers: 2,
      heads: 8,
      dModel: 64,
      dFF: 128,
      experts: 8,
      capacity: 1.25,
      kernel: 'step',
      modules: 'heads,embed',
      probe: 8,
    },
  },
];

export const switchFamily = {
  id: 'switch',
  label: 'tiny Switch Transformer',
  ...MLM_ON_AUSTEN,
  moduleKinds: ['head', 'expert', 'embed'],
  moduleWords: {
    one: 'module',
    many: 'modules (heads and experts)',
    rows: 'layer·head or layer·expert',
  },
  viewKind: 'router',
  fields: [...TRANSFORMER_FIELDS, 'experts', 'capacity'],
  presets,
  stepKernel: true,
} as const satisfies FamilyDescriptor<'switch', 'austen'>;
