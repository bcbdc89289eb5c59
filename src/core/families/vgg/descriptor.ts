import type { FamilyDescriptor, Preset } from '../family';
import { CLASSIFIER } from '../family';

/** vgg-fashion's experiment; the wider preset changes only the sizes. */
const vggBase: Preset['config'] = {
  model: 'vgg',
  data: 'fashion',
  channels: '16,32',
  groupSize: 8,
  images: 2000,
  batch: 32,
  lr: 1e-3,
  probe: 16,
  // Fixed 2026-12-01, before the reproduction run (README "Results"): the step kernel.
  kernel: 'step',
  K: 10,
  warmup: 50,
  valEvery: 50,
  // 32 batches of 32: all 1,000 validation images.
  valBatches: 32,
};

const presets: Preset[] = [
  {
    id: 'vgg-fashion',
    label: 'Small VGG · Fashion-MNIST (filter groups)',
    explanation:
      'Four 3×3 conv layers (16, 16, 32, 32 channels) on 2,000 Fashion-MNIST images; each group ' +
      'of 8 output channels is a module (12 in all), the classifier always trains. Watch the ' +
      'early layers settle first (β) while the deeper groups keep learning, and the confusion ' +
      'matrix: shirts, T-shirts, pullovers and coats are the classes the net confuses longest. ' +
      'The kernel is the step kernel: per-sample loss gradients of 16 samples of each training ' +
      'batch, taken from the step’s own pass, so an evaluation costs a fraction of a step. ' +
      'Raise “images” past 5,000 to load the full 70,000-image set (a 31 MB download with a ' +
      'progress bar).',
    config: vggBase,
  },
  {
    id: 'vgg-fashion-wide',
    label: 'Wider VGG · Fashion-MNIST (32-64 channels, FC stage)',
    explanation:
      'Twice the channels (32, 32, 64, 64) and a 128-unit fully connected stage before the ' +
      'output layer, as the paper’s VGG has: 24 filter groups and 16 classifier unit groups, ' +
      'each compared with its own kind. Watch whether the classifier’s unit groups settle before ' +
      'the convolutions, and how far backprop stops once the early layers freeze. A step costs ' +
      'about 2.3 times the small model’s.',
    // Fixed 2026-12-01 (evening) from measured ms/step only (bench/wide-candidates.ts: 2.25 ×
    // vgg-fashion's on WASM).
    config: { ...vggBase, channels: '32,64', fc: '128' },
  },
];

export const vggFamily = {
  id: 'vgg',
  label: 'small VGG (Fashion-MNIST)',
  data: ['fashion'],
  dataKind: 'fashion',
  ...CLASSIFIER,
  moduleKinds: ['filters', 'units'],
  moduleWords: { one: 'filter group', many: 'filter groups', rows: 'conv layer·group' },
  viewKind: 'confusion',
  fields: ['channels', 'groupSize', 'fc', 'images', 'valBatches'],
  presets,
  stepKernel: true,
} as const satisfies FamilyDescriptor<'vgg', 'fashion'>;
