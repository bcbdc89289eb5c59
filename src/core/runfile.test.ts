import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config';
import { RunFileError, validateRunFile } from './runfile';
import type { RunFile } from './runfile';
import { Session } from './session';
import { TINY_MLM } from './testing/session';
import { loadCorpusFromDisk } from '../node/deps';

let good: RunFile;
beforeAll(async () => {
  await tf.setBackend('cpu');
  const s = new Session({ ...DEFAULT_CONFIG, ...TINY_MLM, K: 2 }, loadCorpusFromDisk());
  for (let i = 0; i < 3; i++) (await s.advance()).loss.dispose();
  good = JSON.parse(
    JSON.stringify(
      await s.exportRun(
        { backend: 'cpu', adapter: '', isFallbackAdapter: false },
        { step: [1, 2, 3], loss: [4, NaN, 3], flops: [1, 2, 3], vanillaFlops: [1, 2, 3] },
        { step: [], perplexity: [] },
      ),
    ),
  ) as RunFile;
  s.dispose();
});

const bad = (mutate: (r: Record<string, unknown>) => void) => {
  const copy = structuredClone(good) as unknown as Record<string, unknown>;
  mutate(copy);
  return copy;
};

describe('run files', () => {
  it('accepts an exported run after a JSON round trip (NaN becomes null)', () => {
    const r = validateRunFile(good);
    expect(r.evaluations.map((e) => e.step)).toEqual([0, 2]);
    // The scheduled evaluations lag the weights; the one at export is on them (step 3).
    expect(r.exportEvaluation?.step).toBe(3);
    expect(r.exportEvaluation?.lambdaMax).toHaveLength(2);
    expect(r.metrics.loss[1]).toBeNull();
  });

  it('accepts a version-1 file, which has no evaluation at export', () => {
    const v1 = bad((r) => {
      r.version = 1;
      delete r.exportEvaluation;
    });
    expect(validateRunFile(v1).exportEvaluation).toBeUndefined();
  });

  it('carries manual overrides (version 3) and still reads a version-2 file of slider events', () => {
    const v3 = bad((r) => {
      r.events = [
        { step: 1, name: 'alpha', from: 0.9, to: 1.5 },
        { step: 2, name: 'override', module: 'L0.H1', from: 'auto', to: 'off' },
      ];
      (r.config as Record<string, unknown>).events = [
        { step: 1, name: 'alpha', value: 1.5 },
        { step: 2, name: 'override', module: 'L0.H1', mode: 'off' },
      ];
    });
    const r = validateRunFile(v3);
    expect(r.version).toBe(3);
    expect(r.events[1]).toEqual({
      step: 2,
      name: 'override',
      module: 'L0.H1',
      from: 'auto',
      to: 'off',
    });
    expect(r.config.events[1]).toEqual({ step: 2, name: 'override', module: 'L0.H1', mode: 'off' });
    const v2 = bad((r) => {
      r.version = 2;
      r.events = [{ step: 1, name: 'beta', from: 0.02, to: 0.1 }];
      (r.config as Record<string, unknown>).events = [{ step: 1, name: 'beta', value: 0.1 }];
    });
    expect(validateRunFile(v2).events).toEqual([{ step: 1, name: 'beta', from: 0.02, to: 0.1 }]);
    const wrong = bad((r) => {
      r.events = [{ step: 2, name: 'override', module: 'L0.H1', from: 'auto', to: 'maybe' }];
    });
    expect(() => validateRunFile(wrong)).toThrow(/events\.0/);
  });

  it('reads a file written before `modules` existed as heads only: the modules it has', () => {
    const old = bad((r) => delete (r.config as Record<string, unknown>).modules);
    expect((old.config as Record<string, unknown>).modules).toBeUndefined();
    const r = validateRunFile(old);
    expect(r.config.modules).toBe('heads');
    expect(r.modules.map((m) => m.kind)).toEqual(['head', 'head']);
  });

  it.each([
    ['not an object', () => 'hello', /file/],
    ['null', () => null, /file/],
    ['another format', () => bad((r) => (r.format = 'something-else')), /format/],
    ['a future version', () => bad((r) => (r.version = 99)), /version/],
    [
      'a hostile config value',
      () => bad((r) => ((r.config as Record<string, unknown>).layers = 1e9)),
      /config\.layers/,
    ],
    [
      'an unknown config key',
      () => bad((r) => ((r.config as Record<string, unknown>).__proto__evil = 1)),
      /config/,
    ],
    [
      'markup where a number belongs',
      () => bad((r) => ((r.metrics as Record<string, unknown>).loss = ['<script>'])),
      /metrics\.loss/,
    ],
    [
      'an overlong adapter string',
      () => bad((r) => ((r.backend as Record<string, unknown>).adapter = 'x'.repeat(10_000))),
      /backend\.adapter/,
    ],
    [
      'a version-2 file without its evaluation at export',
      () => bad((r) => delete r.exportEvaluation),
      /exportEvaluation/,
    ],
    [
      'an evaluation at export that is not at the exported step',
      () => bad((r) => ((r.exportEvaluation as { step: number }).step = 2)),
      /at export must be at step 3/,
    ],
    [
      'an evaluation missing modules',
      () => bad((r) => ((r.evaluations as { lambdaMax: number[] }[])[0]!.lambdaMax = [1])),
      /does not cover/,
    ],
  ])('refuses %s with a message naming the field', (_name, make, pattern) => {
    expect(() => validateRunFile(make())).toThrow(RunFileError);
    expect(() => validateRunFile(make())).toThrow(pattern);
  });
});
