import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { presetConfig } from '../../presets';
import { Session } from '../../session';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('MLP preset through the Session', () => {
  it('trains the spiral preset on cpu: accuracy rises, MAT freezes some neurons, no leaks', async () => {
    const cfg = { ...presetConfig('mlp-spiral')!, warmup: 20, K: 5 };
    const start = tf.memory().numTensors;
    const s = new Session(cfg, null);
    expect(s.modules).toHaveLength(16);
    expect(s.modules[0]).toMatchObject({ id: 'L0.N0', kind: 'neuron' });
    const acc0 = await s.validate();
    for (let i = 0; i < 200; i++) (await s.advance()).loss.dispose();
    const acc = await s.validate();
    expect(acc).toBeGreaterThan(Math.max(acc0, 0.6));
    const on = s.decisions.filter((d) => d.updating).length;
    expect(on).toBeLessThan(16);
    s.dispose();
    // Everything the run allocated (weights, Adam slots, cached frozen groups) is released.
    expect(tf.memory().numTensors).toBe(start);
  });

  it('progressive freezing freezes layer 0 then layer 1 on schedule', async () => {
    const cfg = {
      ...presetConfig('mlp-circles')!,
      hidden: '4,4',
      policy: 'progressive' as const,
      warmup: 10,
      progSpan: 10,
      K: 5,
    };
    const s = new Session(cfg, null);
    const at: Record<number, string[]> = {};
    for (let i = 0; i < 36; i++) {
      (await s.advance()).loss.dispose();
      at[s.step] = s.decisions.map((d) => d.reason);
    }
    expect(at[16]!.every((r) => r === 'all')).toBe(true);
    expect(at[21]!.slice(0, 4).every((r) => r === 'frozen-schedule')).toBe(true);
    expect(at[21]!.slice(4).every((r) => r === 'all')).toBe(true);
    expect(at[31]!.every((r) => r === 'frozen-schedule')).toBe(true);
    s.dispose();
  });
});
