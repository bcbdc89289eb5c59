import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentConfig } from './config';
import { createTask } from './families';
import { FLOP_PARTS, splitTotal } from './flops';
import { PRESETS, presetConfig } from './presets';
import { createRng } from './rng';
import { Session } from './session';
import { loadTaskDataFromDisk } from '../node/deps';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('FLOPs by part', () => {
  it('mlp-spiral through the Session: the totals are the sums of the parts at every step', async () => {
    const cfg = { ...presetConfig('mlp-spiral')!, warmup: 20, K: 5 };
    const s = new Session(cfg, null);
    const steps = 120;
    let flops = 0;
    let vanilla = 0;
    let evaluations = 0;
    for (let i = 0; i < steps; i++) {
      const r = await s.advance();
      r.loss.dispose();
      flops += r.flops;
      vanilla += r.vanillaFlops;
      if (r.evaluation) evaluations++;
      const split = s.flopSplits();
      expect(split.step).toBe(r.step);
      expect(splitTotal(split.run)).toBe(flops);
      expect(splitTotal(split.vanilla)).toBe(vanilla);
      expect(r.totalFlops).toBe(flops);
      expect(r.totalVanillaFlops).toBe(vanilla);
    }
    const { run, vanilla: v } = s.flopSplits();
    // Vanilla: every module updated every step, no mNTK.
    for (const p of ['forward', 'inputGrad', 'weightGrad', 'optimizer'] as const)
      expect(v[p]).toBe(steps * s.vanillaStepFlops[p]);
    expect(v.kernel).toBe(0);
    // The run: charged every evaluation; MAT froze some neurons, so it skipped weight
    // gradients and Adam updates while the forward pass cost the same.
    expect(run.kernel).toBe(evaluations * s.flopsPerEvaluation);
    expect(s.decisions.some((d) => !d.updating)).toBe(true);
    expect(run.forward).toBe(v.forward);
    expect(run.weightGrad).toBeLessThan(v.weightGrad);
    expect(run.optimizer).toBeLessThan(v.optimizer);
    s.dispose();
  });

  it('vanilla is charged exactly its own split', async () => {
    const s = new Session({ ...presetConfig('mlp-circles')!, policy: 'vanilla', K: 5 }, null);
    for (let i = 0; i < 12; i++) (await s.advance()).loss.dispose();
    const { run, vanilla } = s.flopSplits();
    expect(run).toEqual(vanilla);
    expect(run.kernel).toBe(0);
    s.dispose();
  });

  it.each(PRESETS.map((p) => p.id))(
    '%s: every step’s parts sum to its total, and freezing only ever saves',
    (id) => {
      const preset = presetConfig(id)!;
      const cfg: ExperimentConfig = preset.model === 'vgg' ? { ...preset, images: 200 } : preset;
      const task = createTask(cfg, loadTaskDataFromDisk(cfg), createRng(cfg.seed));
      const M = task.modules.length;
      const rng = createRng(7).fork('masks');
      const masks = [
        Array.from({ length: M }, () => true),
        Array.from({ length: M }, () => false),
        Array.from({ length: M }, (_, m) => m % 2 === 0),
        Array.from({ length: M }, () => rng.next() < 0.5),
      ];
      const [all, none] = masks.map((u) => task.stepFlops(u));
      for (const u of masks) {
        const f = task.stepFlops(u);
        expect(f.forward + f.inputGrad + f.weightGrad + f.optimizer).toBe(f.total);
        expect(splitTotal({ ...f, kernel: 0 })).toBe(f.total);
        for (const p of FLOP_PARTS.filter((x) => x !== 'kernel')) expect(f[p]).toBeGreaterThan(0);
        expect(f.weightGrad).toBeLessThanOrEqual(all!.weightGrad);
        expect(f.weightGrad).toBeGreaterThanOrEqual(none!.weightGrad);
        expect(f.optimizer).toBeLessThanOrEqual(all!.optimizer);
        expect(f.optimizer).toBeGreaterThanOrEqual(none!.optimizer);
      }
      task.dispose();
    },
    120_000,
  );
});
