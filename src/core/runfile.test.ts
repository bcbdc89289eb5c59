import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config';
import { MAX_RUN_FILE_BYTES, RunFileError, runFileTooLarge, validateRunFile } from './runfile';
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
      /evaluations\.0\.lambdaMax: 1 entries for 2 modules/,
    ],
  ])('refuses %s with a message naming the field', (_name, make, pattern) => {
    expect(() => validateRunFile(make())).toThrow(RunFileError);
    expect(() => validateRunFile(make())).toThrow(pattern);
  });
});

type Json = Record<string, unknown>;
type Eval = Record<string, unknown[]> & { step: number };
const evals = (r: Json) => r.evaluations as Eval[];
const weightsOf = (r: Json) => r.weights as { name: string; shape: number[]; values: unknown[] }[];
const metricsOf = (r: Json) => r.metrics as Record<string, unknown[]>;
const validationOf = (r: Json) => r.validation as Record<string, unknown[]>;
const cfg = (r: Json) => r.config as Json;
const longer = (a: unknown[]) => a.push(a[0]);
const shorter = (a: unknown[]) => a.pop();

/**
 * Inconsistent variants of a valid exported file (issue 10: 58 such files were accepted): each is
 * refused with a message naming the field.
 */
const INCONSISTENT: [string, (r: Json) => void, RegExp][] = [
  // Modules against the config.
  [
    'a module missing',
    (r) => shorter(r.modules as unknown[]),
    /modules: .*implies 2 modules, the file lists 1/,
  ],
  ['a module too many', (r) => longer(r.modules as unknown[]), /modules: .*lists 3/],
  [
    'a module renamed',
    (r) => ((r.modules as Json[])[1]!.id = 'L0.H7'),
    /modules\.1: expected module L0\.H1/,
  ],
  [
    'a module of another kind',
    (r) => ((r.modules as Json[])[0]!.kind = 'neuron'),
    /modules\.0: expected module L0\.H0 \(head\)/,
  ],
  [
    'more heads in the config',
    (r) => (cfg(r).heads = 4),
    /modules: the config \(bert\) implies 4 modules/,
  ],
  ['more layers in the config', (r) => (cfg(r).layers = 2), /modules: .*implies 4 modules/],
  [
    'FFN modules in the config',
    (r) => (cfg(r).modules = 'heads,ffn'),
    /modules: .*implies 3 modules/,
  ],
  [
    'another model in the config',
    (r) => (cfg(r).model = 'switch'),
    /modules: the config \(switch\)/,
  ],
  [
    'an MLP config',
    (r) => Object.assign(cfg(r), { model: 'mlp', data: 'spiral' }),
    /modules: the config \(mlp\)/,
  ],
  // Weights: shape × values, names, the modules' variables.
  [
    'a weight value missing',
    (r) => shorter(weightsOf(r)[0]!.values),
    /weights\.0\.values: \d+ values for shape/,
  ],
  ['a weight value too many', (r) => longer(weightsOf(r)[3]!.values), /weights\.3\.values/],
  [
    'a shape that does not match the values',
    (r) => weightsOf(r)[0]!.shape.push(2),
    /weights\.0\.values: .*for shape/,
  ],
  [
    'a string among the weights',
    (r) => (weightsOf(r)[0]!.values[0] = 'x'),
    /weights\.0\.values\.0/,
  ],
  [
    "a module's variable missing",
    (r) => (r.weights = weightsOf(r).filter((w) => w.name !== 'L0.H1.qkv')),
    /weights: no variable L0\.H1\.qkv \(module L0\.H1\)/,
  ],
  [
    "a module's variable of the wrong shape",
    (r) => {
      const w = weightsOf(r).find((x) => x.name === 'L0.H0.o')!;
      w.shape = [...w.shape].reverse();
    },
    /weights\.\d+\.shape: L0\.H0\.o has shape \[8, 4\], the config implies \[4, 8\]/,
  ],
  [
    'a variable named twice',
    (r) => (weightsOf(r)[1]!.name = weightsOf(r)[0]!.name),
    /weights\.1\.name: a second variable/,
  ],
  [
    'a tensor of nine dimensions',
    (r) => (weightsOf(r)[0]!.shape = [1, 1, 1, 1, 1, 1, 1, 1, 1]),
    /weights\.0\.shape/,
  ],
  // Every per-module array of an evaluation, too short and too long.
  ...(['lambdaMax', 'spectra', 'effRank', 'stdErr', 'updating', 'reasons'] as const).flatMap(
    (f): [string, (r: Json) => void, RegExp][] => [
      [
        `evaluations[1].${f} too short`,
        (r) => shorter(evals(r)[1]![f]!),
        new RegExp(`evaluations\\.1\\.${f}: 1 entries for 2 modules`),
      ],
      [
        `evaluations[0].${f} too long`,
        (r) => longer(evals(r)[0]![f]!),
        new RegExp(`evaluations\\.0\\.${f}: 3 entries for 2 modules`),
      ],
    ],
  ),
  ...(['lambdaMax', 'spectra', 'effRank', 'stdErr'] as const).map(
    (f): [string, (r: Json) => void, RegExp] => [
      `exportEvaluation.${f} too short`,
      (r) => shorter((r.exportEvaluation as Eval)[f]!),
      new RegExp(`exportEvaluation\\.${f}: 1 entries`),
    ],
  ),
  [
    'a spectrum row too short',
    (r) => shorter(evals(r)[0]!.spectra![1] as unknown[]),
    /evaluations\.0\.spectra\.1: 2 eigenvalues; the probe has n = 3/,
  ],
  [
    'a spectrum row too long',
    (r) => longer(evals(r)[1]!.spectra![0] as unknown[]),
    /evaluations\.1\.spectra\.0: 4 eigenvalues/,
  ],
  [
    'a spectrum row at export too short',
    (r) => shorter((r.exportEvaluation as Eval).spectra![0] as unknown[]),
    /exportEvaluation\.spectra\.0/,
  ],
  [
    'a spectrum row of 10,000 values',
    (r) => (evals(r)[0]!.spectra![0] = new Array(10_000).fill(1)),
    /evaluations\.0\.spectra\.0: Too big/,
  ],
  [
    'a probe n that the spectra do not have',
    (r) => ((r.probe as Json).n = 4),
    /evaluations\.0\.spectra\.0: 3 eigenvalues; the probe has n = 4/,
  ],
  // Steps.
  [
    'evaluation steps decreasing',
    (r) => (r.evaluations = [...evals(r)].reverse()),
    /evaluations\.1\.step: steps decrease/,
  ],
  [
    "an evaluation after the file's step",
    (r) => (evals(r)[1]!.step = 9),
    /evaluations\.1\.step: step 9 is after the file's step 3/,
  ],
  [
    'an evaluation step above 2^31',
    (r) => (evals(r)[1]!.step = 2 ** 31 + 1),
    /evaluations\.1\.step/,
  ],
  ['a fractional evaluation step', (r) => (evals(r)[1]!.step = 1.5), /evaluations\.1\.step/],
  ['a file step above 2^31', (r) => (r.step = 2 ** 32), /^[^:]*: step:/],
  // Metrics and validation.
  [
    'metrics.loss too short',
    (r) => shorter(metricsOf(r).loss!),
    /metrics\.loss: 2 entries for 3 steps/,
  ],
  [
    'metrics.flops too short',
    (r) => shorter(metricsOf(r).flops!),
    /metrics\.flops: 2 entries for 3 steps/,
  ],
  [
    'metrics.vanillaFlops too long',
    (r) => longer(metricsOf(r).vanillaFlops!),
    /metrics\.vanillaFlops: 4 entries for 3 steps/,
  ],
  [
    'metrics.step too long',
    (r) => metricsOf(r).step!.unshift(0),
    /metrics\.loss: 3 entries for 4 steps/,
  ],
  [
    'metric steps decreasing',
    (r) => (metricsOf(r).step = [1, 3, 2]),
    /metrics\.step\.2: steps decrease/,
  ],
  [
    "a metric step after the file's",
    (r) => (metricsOf(r).step = [1, 2, 4]),
    /metrics\.step: step 4 is after the file's step 3/,
  ],
  [
    'a metric step above 2^31',
    (r) => (metricsOf(r).step = [1, 2, 2 ** 31 + 1]),
    /metrics\.step\.2/,
  ],
  ['a fractional metric step', (r) => (metricsOf(r).step = [1, 2.5, 3]), /metrics\.step\.1/],
  ['a negative metric step', (r) => (metricsOf(r).step = [-1, 2, 3]), /metrics\.step\.0/],
  [
    'validation values without steps',
    (r) => (r.validation = { step: [], perplexity: [5] }),
    /validation\.perplexity: 1 entries for 0 steps/,
  ],
  [
    'validation steps decreasing',
    (r) => (r.validation = { step: [3, 2], perplexity: [5, 4] }),
    /validation\.step\.1: steps decrease/,
  ],
  [
    'validation steps without values',
    (r) => (validationOf(r).step = [2]),
    /validation\.perplexity: 0 entries for 1 steps/,
  ],
];

describe('run files checked across fields', () => {
  it('holds the per-module arrays the table mutates (the fixture is a projected BERT run)', () => {
    expect(evals(good as unknown as Json)[0]!.stdErr).toHaveLength(2);
    expect(good.probe.n).toBe(3);
  });

  it.each(INCONSISTENT)('refuses %s with a message naming the field', (_name, mutate, pattern) => {
    const file = bad(mutate);
    expect(() => validateRunFile(file)).toThrow(RunFileError);
    expect(() => validateRunFile(file)).toThrow(pattern);
  });

  it(`refuses all ${INCONSISTENT.length} inconsistent variants`, () => {
    const refused = INCONSISTENT.filter(([, m]) => {
      try {
        validateRunFile(bad(m));
        return false;
      } catch (e) {
        return e instanceof RunFileError;
      }
    });
    expect(refused).toHaveLength(INCONSISTENT.length);
    expect(INCONSISTENT.length).toBeGreaterThanOrEqual(50);
  });

  it.each([
    ['bogus', 'bogus'],
    ['__proto__', '__proto__'],
    ['markup', '<img src=x onerror=alert(1)>'],
    ['an object', { toString: 'x' }],
  ])('refuses a decision reason that is %s, naming the field', (_what, reason) => {
    const file = bad((r) => ((evals(r)[1]!.reasons as unknown[])[0] = reason));
    expect(() => validateRunFile(file)).toThrow(/evaluations\.1\.reasons\.0: /);
  });

  it('imports NaN weights, which JSON writes as null', () => {
    const file = bad((r) => weightsOf(r)[0]!.values.fill(null));
    const run = validateRunFile(JSON.parse(JSON.stringify(file)));
    expect(run.weights[0]!.values.every((v) => v === null)).toBe(true);
  });

  it('says a file over the size cap is too large, before reading it', () => {
    expect(runFileTooLarge(MAX_RUN_FILE_BYTES, 'a.json')).toBeNull();
    expect(runFileTooLarge(191 * 2 ** 20, 'big.json')).toBe(
      'big.json is 191 MB, more than the 100 MB a run file may have; it was not read.',
    );
  });
});
