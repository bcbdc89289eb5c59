import { MLM_ON_AUSTEN, TRANSFORMER_FIELDS } from '../bert/descriptor';
import type { FamilyDescriptor, Preset } from '../family';

const presets: Preset[] = [
  {
    id: 'switch-austen',
    label: 'Tiny Switch Transformer · Austen (experts)',
    explanation:
      'The same masked-word task with every feed-forward block replaced by 4 experts and a ' +
      'top-1 router (capacity factor 1.25, load-balancing loss). Heads and experts are modules, ' +
      'compared within their own kind. Watch the router-load panel beside the heatmap: an expert ' +
      'that receives few tokens gets a small kernel and is the first to freeze — MAT and the ' +
      'router interact. Capacity drops couple the probe samples, so the kernel is taken with the ' +
      'probe batch routed once and that routing held fixed.',
    config: {
      model: 'switch',
      data: 'austen',
      layers: 2,
      heads: 4,
      dModel: 64,
      dFF: 128,
      experts: 4,
      capacity: 1.25,
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
  fields: [...TRANSFORMER_FIELDS, 'experts', 'capacity'],
  presets,
} as const satisfies FamilyDescriptor<'switch', 'austen'>;
