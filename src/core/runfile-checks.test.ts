import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config';
import type { ExperimentConfig } from './config';
import { expectedModuleCount, expectedModules } from './runfile-checks';
import { Session } from './session';
import { TINY_MLM } from './testing/session';
import { loadTaskDataFromDisk } from '../node/deps';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** One small config per family and module list. */
const CONFIGS: [string, Partial<ExperimentConfig>][] = [
  [
    'mlp 3,2 on three features',
    { model: 'mlp', data: 'spiral', hidden: '3,2', features: 'x,y,x2' },
  ],
  ['bert heads', { ...TINY_MLM }],
  ['bert heads + FFN + embeddings', { ...TINY_MLM, modules: 'heads,ffn,embed' }],
  [
    'switch heads + experts + embeddings',
    { ...TINY_MLM, model: 'switch', experts: 3, modules: 'heads,embed' },
  ],
  [
    'vgg 4,6 in groups of 2',
    { model: 'vgg', data: 'fashion', channels: '4,6', groupSize: 2, images: 100 },
  ],
  [
    'vgg 4,6 with classifier stages 8,4',
    { model: 'vgg', data: 'fashion', channels: '4,6', groupSize: 2, fc: '8,4', images: 100 },
  ],
  [
    'bert heads + FFN + embeddings, shared parts with them',
    { ...TINY_MLM, modules: 'heads,ffn,embed,shared' },
  ],
];

describe('the modules a config implies (run-file checks)', () => {
  it.each(CONFIGS)('%s: ids, kinds and variable shapes are those of the model', (_name, patch) => {
    const config = { ...DEFAULT_CONFIG, ...patch, backend: 'cpu' as const };
    const s = new Session(config, loadTaskDataFromDisk(config));
    try {
      const want = expectedModules(config);
      expect(want.map((m) => [m.id, m.kind])).toEqual(s.modules.map((m) => [m.id, m.kind]));
      expect(expectedModuleCount(config)).toBe(s.modules.length);
      const shapes = new Map(
        s.model.allVariables().map((v) => [s.task.exportName(v.name), v.shape]),
      );
      for (const m of want) {
        for (const w of m.weights) {
          expect(shapes.has(w.name)).toBe(true);
          if (w.shape) expect(shapes.get(w.name)).toEqual(w.shape);
        }
      }
    } finally {
      s.dispose();
    }
  });
});
