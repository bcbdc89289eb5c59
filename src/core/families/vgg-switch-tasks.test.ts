import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTaskDataFromDisk } from '../../node/deps';
import type { ExperimentConfig } from '../config';
import { presetConfig } from '../presets';
import { validateRunFile } from '../runfile';
import { Session } from '../session';
import type { SwitchMlmTask } from './switch/task';
import type { VggFashionTask } from './vgg/task';

// WASM: the same kernels as the browser's fallback and ≈ 10× faster than cpu on convolutions.
beforeAll(async () => {
  await tf.setBackend('wasm');
});

const run = async (cfg: ExperimentConfig, steps: number) => {
  const s = new Session(cfg, loadTaskDataFromDisk(cfg));
  const seen = new Set<string>();
  for (let i = 0; i < steps; i++) {
    const r = await s.advance();
    r.loss.dispose();
    if (r.evaluation) seen.add(s.decisions.map((d) => (d.updating ? 1 : 0)).join(''));
  }
  return { s, seen };
};

describe('VGG on Fashion-MNIST through the Session', () => {
  it('trains: accuracy rises, MAT mixes frozen and updated groups, confusion view, export, no leaks', async () => {
    const cfg: ExperimentConfig = {
      ...presetConfig('vgg-fashion')!,
      channels: '8,16',
      groupSize: 4,
      images: 500,
      batch: 16,
      warmup: 10,
      K: 5,
    };
    const start = tf.memory().numTensors;
    const { s, seen } = await run(cfg, 40);
    const task = s.task as VggFashionTask;
    expect(s.modules).toHaveLength(2 + 2 + 4 + 4);
    expect(s.modules[0]).toMatchObject({ id: 'C0.G0', kind: 'filters' });
    expect(task.data.train.count).toBe(500);
    // Ten classes: chance is 10 %; 40 steps of 16 images reach well above it.
    const acc = await s.validate();
    expect(acc).toBeGreaterThan(0.4);
    const view = await task.view();
    expect(view.kind).toBe('confusion');
    if (view.kind === 'confusion') {
      expect(view.classes).toHaveLength(10);
      const total = view.matrix.reduce((a, b) => a + b, 0);
      // valBatches 32 × batch 16: the first 512 of the 1,000 validation images.
      expect(total).toBe(512);
      let diag = 0;
      for (let c = 0; c < 10; c++) diag += view.matrix[c * 10 + c]!;
      expect(diag / total).toBeCloseTo(acc, 10);
    }
    // After the warm-up MAT's decisions are a mix, never all-or-nothing at every evaluation.
    expect([...seen].some((d) => d.includes('0') && d.includes('1'))).toBe(true);
    const file = await s.exportRun(
      { backend: 'wasm', adapter: '', isFallbackAdapter: false },
      { step: [], loss: [], flops: [], vanillaFlops: [] },
      { step: [], perplexity: [] },
    );
    expect(validateRunFile(JSON.parse(JSON.stringify(file))).modules).toHaveLength(12);
    s.dispose();
    expect(tf.memory().numTensors).toBe(start);
  }, 120_000);

  it('charges an evaluation and fewer step FLOPs when groups freeze', () => {
    const cfg = { ...presetConfig('vgg-fashion')!, images: 200 };
    const s = new Session(cfg, loadTaskDataFromDisk(cfg));
    const all = s.task.stepFlops(s.modules.map(() => true)).total;
    const half = s.task.stepFlops(s.modules.map((_, m) => m % 2 === 0)).total;
    expect(half).toBeLessThan(all);
    expect(s.flopsPerEvaluation).toBeGreaterThan(0);
    s.dispose();
  });
});

describe('Switch Transformer on Austen through the Session', () => {
  it('trains: perplexity falls, heads, experts and the embeddings are modules, router view, no leaks', async () => {
    const cfg: ExperimentConfig = {
      ...presetConfig('switch-austen')!,
      dModel: 32,
      dFF: 64,
      vocab: 500,
      seqLen: 16,
      batch: 8,
      probe: 8,
      warmup: 10,
      K: 5,
    };
    const start = tf.memory().numTensors;
    const s0 = new Session(cfg, loadTaskDataFromDisk(cfg));
    const ppl0 = await s0.validate();
    s0.dispose();
    const { s, seen } = await run(cfg, 40);
    expect(s.modules.map((m) => m.kind)).toEqual([
      ...Array<string>(8).fill('head'),
      ...Array<string>(8).fill('expert'),
      'embed',
    ]);
    expect(await s.validate()).toBeLessThan(ppl0);
    expect([...seen].some((d) => d.includes('0') && d.includes('1'))).toBe(true);
    const view = await (s.task as SwitchMlmTask).view();
    expect(view.kind).toBe('router');
    if (view.kind === 'router') {
      expect(Object.keys(view.load)).toEqual([
        'L0.E0',
        'L0.E1',
        'L0.E2',
        'L0.E3',
        'L1.E0',
        'L1.E1',
        'L1.E2',
        'L1.E3',
      ]);
      expect(view.tokensPerLayer).toBe(8 * 16);
      expect(view.capacity).toBe(Math.ceil((1.25 * 8 * 16) / 4));
      for (const l of [0, 1]) {
        const routed = [0, 1, 2, 3].reduce((a, e) => a + view.load[`L${l}.E${e}`]!, 0);
        expect(routed).toBeLessThanOrEqual(view.tokensPerLayer);
        // Capacity 40 × 4 experts = 160 slots for 128 tokens: at most a few are dropped.
        expect(routed).toBeGreaterThan(0);
        for (let e = 0; e < 4; e++)
          expect(view.load[`L${l}.E${e}`]!).toBeLessThanOrEqual(view.capacity);
      }
    }
    s.dispose();
    expect(tf.memory().numTensors).toBe(start);
  }, 120_000);
});
