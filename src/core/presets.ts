import type { ExperimentConfig } from './config';
import { DEFAULT_CONFIG } from './config';

/** A ready-made experiment: model, data, sizes and policy defaults, with what to watch for. */
export interface Preset {
  id: string;
  label: string;
  /** One paragraph for the interface: what the experiment shows and what to look at. */
  explanation: string;
  config: Partial<ExperimentConfig>;
}

const mlpBase: Partial<ExperimentConfig> = {
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

export const PRESETS: readonly Preset[] = [
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
  {
    id: 'vgg-fashion',
    label: 'Small VGG · Fashion-MNIST (filter groups)',
    explanation:
      'Four 3×3 conv layers (16, 16, 32, 32 channels) on 2,000 Fashion-MNIST images; each group ' +
      'of 8 output channels is a module (12 in all), the classifier always trains. Watch the ' +
      'early layers settle first (β) while the deeper groups keep learning, and the confusion ' +
      'matrix: shirts, T-shirts, pullovers and coats are the classes the net confuses longest. ' +
      'Raise “images” past 5,000 to load the full 70,000-image set (a 31 MB download with a ' +
      'progress bar).',
    config: {
      model: 'vgg',
      data: 'fashion',
      channels: '16,32',
      groupSize: 8,
      images: 2000,
      batch: 32,
      lr: 1e-3,
      probe: 16,
      K: 10,
      warmup: 50,
      valEvery: 50,
      // 32 batches of 32: all 1,000 validation images.
      valBatches: 32,
    },
  },
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
];

export const PRESET_IDS = PRESETS.map((p) => p.id);

export function findPreset(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** The full config of a preset (defaults completed). */
export function presetConfig(id: string): ExperimentConfig | undefined {
  const p = findPreset(id);
  return p ? { ...DEFAULT_CONFIG, ...p.config, events: [] } : undefined;
}
