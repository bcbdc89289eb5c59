import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentConfig } from './config';
import { ExperimentSchema } from './config';
import { splitTotal } from './flops';
import { presetConfig } from './presets';
import { validateRunFile } from './runfile';
import { Session } from './session';
import { trainLosses } from './testing/session';
import { loadTaskDataFromDisk } from '../node/deps';

// WASM: the browser's fallback kernels, and convolutions ≈ 10× faster than on cpu.
beforeAll(async () => {
  await tf.setBackend('wasm');
});

/** Small configs of the two families. */
const mlp: ExperimentConfig = { ...presetConfig('mlp-spiral')!, K: 3, warmup: 6 };
const vgg: ExperimentConfig = {
  ...presetConfig('vgg-fashion')!,
  channels: '4,8',
  groupSize: 4,
  images: 200,
  batch: 8,
  probe: 4,
  valBatches: 1,
  K: 3,
  warmup: 6,
};

/** A small transformer, for BERT and the Switch Transformer alike. */
const small = {
  kernel: 'step',
  layers: 1,
  heads: 2,
  dModel: 16,
  dFF: 32,
  seqLen: 16,
  vocab: 200,
  experts: 3,
  batch: 8,
  probe: 4,
  valBatches: 1,
  K: 3,
  warmup: 6,
} as const;
const bert: ExperimentConfig = {
  ...presetConfig('bert-austen')!,
  kernel: 'step',
  layers: 1,
  heads: 2,
  dModel: 16,
  dFF: 32,
  seqLen: 16,
  vocab: 200,
  batch: 8,
  probe: 4,
  valBatches: 1,
  K: 3,
  warmup: 6,
};

async function run(cfg: ExperimentConfig, steps: number) {
  expect(ExperimentSchema.safeParse(cfg).success).toBe(true);
  const s = new Session(cfg, loadTaskDataFromDisk(cfg));
  return { s, losses: await trainLosses(s, steps) };
}

describe.each([
  ['mlp', mlp],
  ['vgg', vgg],
  ['vgg with a classifier stage (2 unit groups)', { ...vgg, fc: '8' }],
  ['bert', bert],
  ['bert with FFN blocks and embeddings as modules', { ...bert, modules: 'heads,ffn,embed' }],
  [
    'bert with FFN blocks, embeddings and the shared parts as modules',
    { ...bert, modules: 'heads,ffn,embed,shared' },
  ],
  [
    'switch with the embeddings as a module',
    { ...bert, ...presetConfig('switch-austen')!, ...small, modules: 'heads,embed' },
  ],
  [
    'switch with the embeddings and the shared parts as modules',
    { ...bert, ...presetConfig('switch-austen')!, ...small, modules: 'heads,embed,shared' },
  ],
] as const)('the step kernel through the Session (%s)', (_, base) => {
  it('does not change training: vanilla with kernel=step has the loss kernel run’s losses', async () => {
    const steps = 10;
    const a = await run({ ...base, policy: 'vanilla', kernel: 'loss' }, steps);
    const b = await run({ ...base, policy: 'vanilla', kernel: 'step' }, steps);
    // Bit for bit: the same batches, the same operations for every gradient (the taps add 0).
    expect(b.losses).toEqual(a.losses);
    expect(b.s.history.map((e) => e.step)).toEqual([0, 3, 6, 9]);
    // λmax > 0, but for an expert none of the n sequences' kept tokens reached (Θ_e = 0).
    const kinds = b.s.modules.map((m) => m.kind);
    for (const e of b.s.history) {
      e.lambdaMax.forEach((l, m) => expect(l > 0 || (l === 0 && kinds[m] === 'expert')).toBe(true));
      expect(e.lambdaMax.filter((l) => l > 0).length).toBeGreaterThan(kinds.length / 2);
    }
    // Vanilla is charged no kernel either way.
    expect(b.s.flopSplits().run).toEqual(a.s.flopSplits().run);
    // No tensor left behind by a step or an evaluation (steps 10 … 12, evaluating at 12).
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) (await b.s.advance()).loss.dispose();
    expect(b.s.history.length).toBe(5);
    expect(tf.memory().numTensors).toBe(before);
    a.s.dispose();
    b.s.dispose();
  });

  it('MAT charges each evaluation its extra work, exports, and leaks no tensor', async () => {
    const start = tf.memory().numTensors;
    const s = new Session({ ...base, kernel: 'step', alpha: 1 }, loadTaskDataFromDisk(base));
    const task = s.task;
    expect(s.flopsPerEvaluation).toBe(task.stepEvaluationFlops!(s.modules.map(() => true)));
    let kernel = 0;
    for (let i = 0; i < 16; i++) {
      const r = await s.advance();
      r.loss.dispose();
      const updating = s.decisions.map((d) => d.updating);
      const charged = task.stepFlops(updating).total;
      const extra = r.evaluation ? task.stepEvaluationFlops!(updating) : 0;
      expect(r.flops).toBe(charged + extra);
      kernel += extra;
    }
    expect(s.flopSplits().run.kernel).toBe(kernel);
    expect(splitTotal(s.flopSplits().run)).toBeGreaterThan(0);
    // Every tensor of the run is the Session's (nothing left behind by a step or evaluation).
    // After the warm-up α = 1 freezes the modules below the mean λmax.
    expect(s.decisions.some((d) => !d.updating)).toBe(true);
    expect(s.decisions.some((d) => d.updating)).toBe(true);
    const file = await s.exportRun(
      { backend: 'wasm', adapter: '', isFallbackAdapter: false },
      { step: [], loss: [], flops: [], vanillaFlops: [] },
      { step: [], perplexity: [] },
    );
    const parsed = validateRunFile(JSON.parse(JSON.stringify(file)));
    // The file's probe is the fixed one with the loss kernel (the evaluation at export).
    expect(parsed.config.kernel).toBe('step');
    expect(parsed.probe.kernel).toBe('loss');
    expect(parsed.exportEvaluation?.step).toBe(16);
    expect(parsed.evaluations.map((e) => e.step)).toEqual([0, 3, 6, 9, 12, 15]);
    s.dispose();
    expect(tf.memory().numTensors).toBe(start);
  });
});

describe('the shared parts under the modules (modules=…,shared)', () => {
  it('change nothing while every module trains: vanilla has the backbone-norm run’s losses', async () => {
    const steps = 8;
    const a = await run({ ...bert, policy: 'vanilla', modules: 'heads,ffn,embed' }, steps);
    const b = await run({ ...bert, policy: 'vanilla', modules: 'heads,ffn,embed,shared' }, steps);
    // Bit for bit: the same variables train (Adam is element-wise, so their order in the fused
    // buffer does not matter), the same batches and operations.
    expect(b.losses).toEqual(a.losses);
    expect(b.s.flopSplits().run).toEqual(a.s.flopSplits().run);
    a.s.dispose();
    b.s.dispose();
  });

  it('change nothing in the Switch Transformer while every module trains either', async () => {
    const steps = 8;
    const sw = { ...bert, ...presetConfig('switch-austen')!, ...small, policy: 'vanilla' as const };
    const a = await run({ ...sw, modules: 'heads,embed' }, steps);
    const b = await run({ ...sw, modules: 'heads,embed,shared' }, steps);
    expect(b.losses).toEqual(a.losses);
    expect(b.s.flopSplits().run).toEqual(a.s.flopSplits().run);
    a.s.dispose();
    b.s.dispose();
  });
});
