import type { FamilyDescriptor, Preset } from '../family';
import { CLASSIFIER } from '../family';

/** The 2D toy data sets (generated in the browser; see data/toy2d.ts). */
export const TOY_DATASETS = ['spiral', 'circles', 'xor', 'blobs', 'moons'] as const;
export type ToyDataset = (typeof TOY_DATASETS)[number];

const mlpBase: Preset['config'] = {
  model: 'mlp',
  hidden: '8,8',
  activation: 'tanh',
  batch: 16,
  lr: 0.01,
  points: 500,
  noise: 0.05,
  testRatio: 0.3,
  probe: 16,
  K: 10,
  warmup: 40,
  alpha: 0.9,
  beta: 0.02,
  valEvery: 20,
};

const presets: Preset[] = [
  {
    id: 'mlp-spiral',
    label: 'MLP · spiral (classroom)',
    explanation:
      'The Playground classic: two interleaved spirals, 8-8 tanh neurons with x, y, sin x, sin y ' +
      'as inputs. Each neuron is a module. Watch neurons freeze while the decision boundary keeps ' +
      'improving, and drag α up to see how few neurons the spiral really needs. Trains smoothly ' +
      'even on the cpu backend. Note the compute counter: for a network this small, each kernel ' +
      'evaluation costs more than the frozen neurons save.',
    config: { ...mlpBase, data: 'spiral', features: 'x,y,sinx,siny' },
  },
  {
    id: 'mlp-circles',
    label: 'MLP · circles (first look)',
    explanation:
      'Two rings: the easiest set. With x² and y² as inputs one layer suffices; watch most ' +
      'neurons settle (stopped by β) once the boundary is a circle — MAT stops paying for them.',
    config: { ...mlpBase, data: 'circles', features: 'x,y,x2,y2', hidden: '6' },
  },
  {
    id: 'mlp-spiral-wide',
    label: 'Wider MLP · spiral (32-32-32)',
    explanation:
      'The spiral with three layers of 32 tanh neurons: 96 modules for a task 16 can solve. ' +
      'Watch how many neurons MAT leaves updating, and how the heatmap sorts them layer by layer. ' +
      'As with the small MLP, every kernel evaluation costs more than the frozen neurons save.',
    // Fixed 2026-12-01 (evening): the widest MLP the lab allows in depth 3 (1.8 × mlp-spiral's
    // ms/step on WASM).
    config: { ...mlpBase, data: 'spiral', features: 'x,y,sinx,siny', hidden: '32,32,32' },
  },
];

export const mlpFamily = {
  id: 'mlp',
  label: 'MLP on 2D data',
  data: TOY_DATASETS,
  dataKind: 'none',
  ...CLASSIFIER,
  moduleKinds: ['neuron'],
  moduleWords: { one: 'neuron', many: 'neurons', rows: 'layer·neuron' },
  viewKind: 'boundary',
  fields: ['hidden', 'activation', 'features', 'points', 'noise', 'testRatio'],
  presets,
  stepKernel: true,
} as const satisfies FamilyDescriptor<'mlp', ToyDataset>;
