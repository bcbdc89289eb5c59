import { PRESET_IDS, presetConfig } from './presets';
import { describe, expect, it } from 'vitest';
import {
  BACKENDS,
  DEFAULT_CONFIG,
  ExperimentSchema,
  KERNELS,
  LIVE_PARAMS,
  MODELS,
  MODEL_DATA,
  ACTIVATIONS,
  OVERRIDE_MODES,
  POLICIES,
  REFS,
  STOP_MODES,
} from './config';
import type { ExperimentConfig, ParamEvent, RunEvent } from './config';
import { STEP_KERNEL_MODELS } from './families/descriptors';
import { MODULE_LISTS } from './families/transformer/selection';
import type { Rng } from './rng';
import { testRng } from './testing/fake-rng';
import {
  MAX_EVENTS,
  MAX_NUMBER_LENGTH,
  MAX_PARAMS,
  echo,
  experimentToParams,
  formatEvents,
  parseEvents,
  parseExperimentParams,
} from './url';

type Entries = [string, string][];

/** Default entries with `key` replaced (or appended) by `value`. */
function withParam(key: string, value: string): Entries {
  const entries = experimentToParams(DEFAULT_CONFIG).filter(([k]) => k !== key);
  entries.push([key, value]);
  return entries;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  const item = items[rng.int(items.length)];
  if (item === undefined) throw new Error('empty');
  return item;
}

const intIn = (rng: Rng, lo: number, hi: number) => lo + rng.int(hi - lo + 1);
/** A double in [lo, hi] with awkward digits, sometimes an end point. */
function numIn(rng: Rng, lo: number, hi: number): number {
  const r = rng.next();
  if (r < 0.05) return lo;
  if (r < 0.1) return hi;
  const x = lo + (hi - lo) * rng.next() ** 3;
  return Math.min(hi, Math.max(lo, x));
}

function randomConfig(rng: Rng): ExperimentConfig {
  const heads = intIn(rng, 1, 16);
  const minMult = Math.ceil(8 / heads);
  const dModel = heads * intIn(rng, minMult, Math.floor(512 / heads));
  const events: RunEvent[] = [];
  const nEvents = rng.int(12);
  for (let i = 0; i < nEvents; i++) {
    const step = intIn(rng, 0, 10_000_000);
    if (rng.next() < 0.3) {
      const module = pick(rng, ['L0.H1', 'L3.E12', 'C2.G0', 'L0.N7', 'E', 'L1.F']);
      events.push({ step, name: 'override', module, mode: pick(rng, OVERRIDE_MODES) });
      continue;
    }
    const name = pick(rng, LIVE_PARAMS);
    events.push({ step, name, value: numIn(rng, 0, name === 'alpha' ? 10 : 1) });
  }
  events.sort((a, b) => a.step - b.step);
  const model = pick(rng, MODELS);
  const groupSize = intIn(rng, 1, 64);
  const widths = (max: number, count: number) =>
    Array.from({ length: 1 + rng.int(count) }, () => intIn(rng, 1, max)).join(',');
  const features = ['x', 'y', 'x2', 'y2', 'xy', 'sinx', 'siny'].filter(() => rng.next() < 0.5);
  const config: ExperimentConfig = {
    model,
    data: pick(rng, MODEL_DATA[model]),
    experts: intIn(rng, 1, 16),
    capacity: numIn(rng, 1, 4),
    modules: pick(rng, MODULE_LISTS),
    hidden: widths(32, 6),
    activation: pick(rng, ACTIVATIONS),
    features: (features.length > 0 ? features : ['x']).join(','),
    points: intIn(rng, 40, 5000),
    noise: numIn(rng, 0, 1),
    testRatio: numIn(rng, 0.1, 0.9),
    // Channel counts are multiples of the group size (a cross-field rule).
    channels: Array.from(
      { length: 1 + rng.int(4) },
      () => groupSize * intIn(rng, 1, Math.floor(999 / groupSize)),
    ).join(','),
    groupSize,
    // Classifier stage widths are multiples of the group size too (at most 512).
    fc: rng.next() < 0.5 ? 'none' : String(groupSize * intIn(rng, 1, Math.floor(512 / groupSize))),
    images: intIn(rng, 100, 59000),
    progSpan: intIn(rng, 1, 1_000_000),
    layers: intIn(rng, 1, 8),
    heads,
    dModel,
    dFF: intIn(rng, 8, 2048),
    seqLen: intIn(rng, 4, 256),
    vocab: intIn(rng, 16, 8192),
    batch: intIn(rng, 1, 256),
    lr: numIn(rng, 1e-6, 1),
    policy: pick(rng, POLICIES),
    alpha: numIn(rng, 0, 10),
    beta: numIn(rng, 0, 1),
    K: intIn(rng, 1, 1000),
    warmup: intIn(rng, 0, 100000),
    window: intIn(rng, 1, 100),
    ref: pick(rng, REFS),
    stop: pick(rng, STOP_MODES),
    probe: intIn(rng, 2, 64),
    R: intIn(rng, 1, 64),
    kernel: pick(rng, KERNELS),
    seed: intIn(rng, 0, 2 ** 31 - 1),
    backend: pick(rng, BACKENDS),
    valEvery: intIn(rng, 1, 100000),
    valBatches: intIn(rng, 1, 64),
    autoplay: rng.next() < 0.5,
    stopAt: intIn(rng, 0, 10_000_000),
    events,
  };
  // The step kernel: only where the family has it, and with its n samples from the batch.
  if (
    config.kernel === 'step' &&
    (!STEP_KERNEL_MODELS.includes(model) || config.probe > config.batch)
  ) {
    config.kernel = 'loss';
  }
  return config;
}

/** The field's error is reported and the field is back at its default; nothing else changed. */
function expectRejected(entries: Entries, field: keyof ExperimentConfig) {
  const result = parseExperimentParams(entries);
  const errors = result.errors.filter((e) => e.field === field);
  expect(errors.length).toBeGreaterThan(0);
  for (const e of errors) expect(e.message.startsWith(`${field}:`)).toBe(true);
  expect(result.config[field]).toEqual(DEFAULT_CONFIG[field]);
  expect(ExperimentSchema.safeParse(result.config).success).toBe(true);
  return result;
}

describe('experiment URL round trip', () => {
  it('writes every field and reads the defaults back exactly', () => {
    const entries = experimentToParams(DEFAULT_CONFIG);
    expect(entries.map(([k]) => k).sort()).toEqual(Object.keys(DEFAULT_CONFIG).sort());
    const { config, errors, extras } = parseExperimentParams(entries);
    expect(errors).toEqual([]);
    expect(extras).toEqual({});
    expect(config).toEqual(DEFAULT_CONFIG);
  });

  it('round-trips 300 random valid configs exactly', () => {
    for (let seed = 1; seed <= 300; seed++) {
      const original = randomConfig(testRng(seed));
      expect(ExperimentSchema.safeParse(original).success).toBe(true);
      const { config, errors } = parseExperimentParams(experimentToParams(original));
      expect(errors).toEqual([]);
      expect(config).toEqual(original);
      // Exact doubles, not approximately equal ones.
      expect(Object.is(config.lr, original.lr) && Object.is(config.alpha, original.alpha)).toBe(
        true,
      );
      // Also through a real query string.
      const query = new URLSearchParams(experimentToParams(original)).toString();
      expect(parseExperimentParams(new URLSearchParams(query)).config).toEqual(original);
    }
  });

  it('onlyNonDefault writes just the changed fields, and they still round-trip', () => {
    expect(experimentToParams(DEFAULT_CONFIG, { onlyNonDefault: true })).toEqual([]);
    const changed: ExperimentConfig = {
      ...DEFAULT_CONFIG,
      alpha: 0.1 + 0.2,
      events: [{ step: 40, name: 'alpha', value: 1.2 }],
    };
    const entries = experimentToParams(changed, { onlyNonDefault: true });
    expect(entries).toEqual([
      ['alpha', '0.30000000000000004'],
      ['events', '40:alpha:1.2'],
    ]);
    expect(parseExperimentParams(entries).config).toEqual(changed);
  });

  it('does not share the events array with DEFAULT_CONFIG', () => {
    const { config } = parseExperimentParams([]);
    expect(config.events).not.toBe(DEFAULT_CONFIG.events);
  });
});

describe('events encoding', () => {
  it('writes step:name:value sorted by step, stably', () => {
    const events: ParamEvent[] = [
      { step: 80, name: 'beta', value: 0.05 },
      { step: 40, name: 'alpha', value: 1.2 },
      { step: 40, name: 'alpha', value: 1.5 },
    ];
    expect(formatEvents(events)).toBe('40:alpha:1.2,40:alpha:1.5,80:beta:0.05');
    const parsed = parseEvents('80:beta:0.05,40:alpha:1.2,40:alpha:1.5');
    expect(parsed).toEqual({
      ok: true,
      events: [
        { step: 40, name: 'alpha', value: 1.2 },
        { step: 40, name: 'alpha', value: 1.5 },
        { step: 80, name: 'beta', value: 0.05 },
      ],
    });
    expect(parseEvents('')).toEqual({ ok: true, events: [] });
  });

  it.each([
    ['40:alpha', '"40:alpha"'],
    ['40:alpha:1.2:3', '"40:alpha:1.2:3"'],
    ['x:alpha:1', '"x:alpha:1"'],
    ['1.5:alpha:1', '"1.5:alpha:1"'],
    ['-1:alpha:1', '"-1:alpha:1"'],
    ['40:gamma:1', '"40:gamma:1"'],
    ['40:beta:2', '"40:beta:2"'],
    ['40:alpha:NaN', '"40:alpha:NaN"'],
    ['40:alpha:Infinity', '"40:alpha:Infinity"'],
    ['40:alpha:', '"40:alpha:"'],
    ['', '""'],
  ])('rejects the whole field for a malformed entry %s', (bad, echoed) => {
    const result = expectRejected(withParam('events', `10:alpha:1,${bad},90:beta:0.1`), 'events');
    expect(result.config.events).toEqual([]);
    expect(result.errors[0]?.message).toContain(`entry ${echoed}`);
  });

  it('writes manual overrides as step:module:on|off|auto and reads them back', () => {
    const events: RunEvent[] = [
      { step: 90, name: 'alpha', value: 1.8 },
      { step: 60, name: 'override', module: 'L0.N3', mode: 'off' },
      { step: 120, name: 'override', module: 'L0.N3', mode: 'auto' },
      { step: 60, name: 'override', module: 'L1.E0', mode: 'on' },
    ];
    const text = formatEvents(events);
    expect(text).toBe('60:L0.N3:off,60:L1.E0:on,90:alpha:1.8,120:L0.N3:auto');
    expect(parseEvents(text)).toEqual({
      ok: true,
      events: [...events].sort((a, b) => a.step - b.step),
    });
    const parsed = parseExperimentParams(withParam('events', text));
    expect(parsed.errors).toEqual([]);
    expect(experimentToParams(parsed.config).find(([k]) => k === 'events')?.[1]).toBe(text);
  });

  it.each([
    ['60:L0.N3:maybe', 'not one of on, off, auto'],
    ['60:L0.N3:1', 'not one of on, off, auto'],
    ['60:0bad:off', 'neither a live parameter'],
    ['60:L0<b>:off', 'neither a live parameter'],
    ['60:alpha:off', 'not a number between 0 and 10'],
  ])('rejects a malformed override %s', (bad, why) => {
    const result = expectRejected(withParam('events', `10:alpha:1,${bad}`), 'events');
    expect(result.config.events).toEqual([]);
    expect(result.errors[0]?.message).toContain(why);
  });

  it(`accepts exactly ${MAX_EVENTS} entries (the link's cap, 10,000) and rejects one more`, () => {
    expect(MAX_EVENTS).toBe(10_000);
    const entry = (i: number) => `${i}:alpha:${(i % 100) / 10}`;
    const ok = Array.from({ length: MAX_EVENTS }, (_, i) => entry(i)).join(',');
    const okResult = parseExperimentParams(withParam('events', ok));
    expect(okResult.errors).toEqual([]);
    expect(okResult.config.events).toHaveLength(MAX_EVENTS);
    const tooMany = `${ok},${entry(MAX_EVENTS)}`;
    const result = expectRejected(withParam('events', tooMany), 'events');
    expect(result.errors[0]?.message).toContain(`at most ${MAX_EVENTS} entries`);
  });
});

describe('long numbers are refused in linear time', () => {
  // The quadratic pattern took 4.4-13.6 s in Node on the first case (2.2 s in Chromium); the
  // linear one takes about a millisecond. 500 ms is the bound because tests share two cores with
  // other work (load averages near 10 were measured): a tight bound would fail for that alone.
  it.each([
    [
      'the issue’s events entry of 47,990 digits and an x',
      'events',
      `0:alpha:${'1'.repeat(47_990)}x`,
    ],
    ['an events entry of 400,000 digits and an x', 'events', `0:alpha:${'1'.repeat(400_000)}x`],
    ['a step of 400,000 digits and an x', 'events', `${'9'.repeat(400_000)}x:alpha:1`],
    ['lr of 250 digits and an x', 'lr', `${'1'.repeat(250)}x`],
    [
      'alpha of 250 digits, a point and more digits',
      'alpha',
      `${'1'.repeat(125)}.${'1'.repeat(125)}e`,
    ],
  ] as const)('%s: refused, naming %s, in under 500 ms', (_, field, value) => {
    const t = performance.now();
    const result = parseExperimentParams(withParam(field, value));
    const ms = performance.now() - t;
    expect(result.errors.map((e) => e.field)).toEqual([field]);
    expect(result.errors[0]!.message.startsWith(`${field}:`)).toBe(true);
    expect(result.config[field]).toEqual(DEFAULT_CONFIG[field]);
    expect(ms).toBeLessThan(500);
  });

  it(`still reads numbers of up to ${MAX_NUMBER_LENGTH} characters`, () => {
    const long = `0.${'1'.repeat(MAX_NUMBER_LENGTH - 2)}`;
    expect(parseExperimentParams(withParam('beta', long)).config.beta).toBe(Number(long));
    expect(parseExperimentParams(withParam('beta', `${long}1`)).errors[0]?.field).toBe('beta');
  });
});

describe('bad parameters', () => {
  it('reports an unknown key without failing, and keeps the rest', () => {
    const { config, errors } = parseExperimentParams([
      ['alpah', '2'],
      ['alpha', '2'],
    ]);
    expect(errors).toEqual([{ field: 'alpah', message: '"alpah": unknown parameter, ignored.' }]);
    expect(config).toEqual({ ...DEFAULT_CONFIG, alpha: 2 });
  });

  it('passes allow-listed extras through', () => {
    const { extras, errors, config } = parseExperimentParams([['preset', 'bert-austen']]);
    expect(errors).toEqual([]);
    expect(extras).toEqual({ preset: 'bert-austen' });
    expect(config).toEqual(presetConfig('bert-austen'));
    // The preset is more than the bare defaults: FFN blocks and embeddings, the step kernel.
    expect(config).toMatchObject({ kernel: 'step', modules: 'heads,ffn,embed,shared', probe: 8 });
  });

  it('names the field and its range in the message', () => {
    const { errors, config } = parseExperimentParams([
      ['alpha', 'abc'],
      ['beta', '0.5'],
    ]);
    expect(errors).toEqual([
      {
        field: 'alpha',
        message: 'alpha: expected a number between 0 and 10, got "abc"; using the default 0.9.',
      },
    ]);
    expect(config.alpha).toBe(DEFAULT_CONFIG.alpha);
    expect(config.beta).toBe(0.5);
  });

  it.each([
    ['layers', '9'],
    ['layers', '0'],
    ['dModel', '1024'],
    ['heads', '-1'],
    ['vocab', '1e9'],
    ['alpha', '10.000001'],
    ['beta', '-0.1'],
    ['lr', '0'],
  ] as const)('rejects out-of-range %s=%s', (field, value) => {
    expectRejected(withParam(field, value), field);
  });

  it.each(['NaN', 'Infinity', '-Infinity', '', ' ', ' 1', '0x10', '1e', '--1', '1,5'])(
    'rejects the non-number %j',
    (value) => {
      const result = expectRejected(withParam('alpha', value), 'alpha');
      expect(result.errors[0]?.message).toContain('expected a number between 0 and 10');
    },
  );

  it('rejects a 10 kB value without echoing it whole', () => {
    const huge = 'x'.repeat(10_240);
    const result = expectRejected(withParam('alpha', huge), 'alpha');
    const message = result.errors[0]?.message ?? '';
    expect(message).toContain('10240 characters');
    expect(message.length).toBeLessThan(300);
    expect(message).not.toContain('x'.repeat(41));
    // Extras obey the same limit.
    const extra = parseExperimentParams([['preset', huge]]);
    expect(extra.extras).toEqual({});
    expect(extra.errors[0]?.field).toBe('preset');
  });

  it('quotes markup as its own characters (shown as text), escaping only quotes and controls', () => {
    const script = '<script>alert(1)</script>';
    const result = expectRejected(withParam('policy', script), 'policy');
    const message = result.errors[0]?.message ?? '';
    // The characters a user typed, not `\u003c` escapes; the page renders messages as text.
    expect(message).toContain('got "<script>alert(1)</script>"');
    expect(message).not.toContain('\\u003c');
    const unknown = parseExperimentParams([[script, script]]);
    expect(unknown.errors).toHaveLength(1);
    expect(unknown.errors[0]?.message).toBe(
      '"<script>alert(1)</script>": unknown parameter, ignored.',
    );
    expect(echo('"\n')).toBe('"\\"\\n"');
    expect(echo('a\u0000b')).toBe('"a\\u0000b"');
  });

  it('rejects a bad enum value and names the options', () => {
    const result = expectRejected(withParam('ref', 'mode'), 'ref');
    expect(result.errors[0]?.message).toBe(
      'ref: expected one of mean, median, max, got "mode"; using the default mean.',
    );
    expectRejected(withParam('backend', 'WEBGPU'), 'backend');
    expectRejected(withParam('autoplay', 'yes'), 'autoplay');
  });

  it('reads `modules` as heads plus any of ffn, embed, shared, in any order', () => {
    const ok = parseExperimentParams(withParam('modules', 'embed,heads,ffn'));
    expect(ok.errors).toEqual([]);
    expect(ok.config.modules).toBe('heads,ffn,embed');
    expect(experimentToParams(ok.config)).toContainEqual(['modules', 'heads,ffn,embed']);
    const whole = parseExperimentParams(withParam('modules', 'shared,ffn,heads'));
    expect(whole.errors).toEqual([]);
    expect(whole.config.modules).toBe('heads,ffn,shared');
    // Heads are always modules; a kind twice or an unknown one is an error.
    const noHeads = expectRejected(withParam('modules', 'ffn,embed'), 'modules');
    expect(noHeads.errors[0]?.message).toBe(
      'modules: expected one of heads, heads,ffn, heads,embed, heads,ffn,embed, heads,shared, heads,ffn,shared, heads,embed,shared, heads,ffn,embed,shared, got "ffn,embed"; using the default heads.',
    );
    expectRejected(withParam('modules', 'heads,heads'), 'modules');
    expectRejected(withParam('modules', 'heads,experts'), 'modules');
    // A link from before the field existed: the default, the modules it had then.
    const old = experimentToParams(DEFAULT_CONFIG).filter(
      ([k]) => k !== 'modules' && k !== 'model',
    );
    const parsed = parseExperimentParams([...old, ['model', 'switch']]);
    expect(parsed.errors).toEqual([]);
    expect(parsed.config.modules).toBe('heads');
  });

  it('reads booleans as 1/0/true/false', () => {
    for (const [text, value] of [
      ['1', true],
      ['true', true],
      ['0', false],
      ['false', false],
    ] as const) {
      expect(parseExperimentParams([['autoplay', text]]).config.autoplay).toBe(value);
    }
  });

  it.each([
    ['layers', '2.5'],
    ['seed', '1e-3'],
    ['K', '10.1'],
  ] as const)('rejects a non-integer for the integer field %s', (field, value) => {
    const result = expectRejected(withParam(field, value), field);
    expect(result.errors[0]?.message).toContain('expected an integer between');
  });

  it('resets dModel and heads when dModel is not divisible by heads', () => {
    const { config, errors } = parseExperimentParams([
      ['dModel', '60'],
      ['heads', '8'],
      ['alpha', '1.5'],
    ]);
    expect(errors.map((e) => e.field).sort()).toEqual(['dModel', 'heads']);
    expect(errors[0]?.message).toContain('divisible');
    expect(errors[0]?.message).toContain('dModel = 60, heads = 8');
    expect(config).toEqual({ ...DEFAULT_CONFIG, alpha: 1.5 });
    // heads alone can break the rule against the default dModel (64).
    expectRejected([['heads', '3']], 'heads');
    expectRejected([['heads', '3']], 'dModel');
  });

  it('resets the step kernel where the probe exceeds the batch', () => {
    // Every family has it now (the schema would still refuse it for one that had not).
    expect(STEP_KERNEL_MODELS).toEqual(['bert', 'switch', 'mlp', 'vgg']);
    const ok = parseExperimentParams([
      ['model', 'vgg'],
      ['kernel', 'step'],
      ['batch', '16'],
      ['probe', '16'],
    ]);
    expect(ok.errors).toEqual([]);
    expect(ok.config.kernel).toBe('step');
    const bert = parseExperimentParams([
      ['kernel', 'step'],
      ['probe', '8'],
    ]);
    expect(bert.errors).toEqual([]);
    expect(bert.config).toMatchObject({ model: 'bert', kernel: 'step', probe: 8 });
    const big = expectRejected(
      [
        ['model', 'mlp'],
        ['kernel', 'step'],
        ['batch', '8'],
      ],
      'kernel',
    );
    expect(big.errors[0]?.message).toContain('probe ≤ batch');
    expect(big.config).toMatchObject({ model: 'mlp', batch: 8, probe: 16 });
  });

  it('uses the last of duplicate keys and says so', () => {
    const { config, errors } = parseExperimentParams([
      ['alpha', '1'],
      ['alpha', 'junk'],
      ['alpha', '2'],
    ]);
    expect(config.alpha).toBe(2);
    expect(errors).toEqual([
      { field: 'alpha', message: 'alpha: given 3 times; the last value is used.' },
    ]);
    // A bad last value falls back to the default, not to an earlier good one.
    expectRejected(
      [
        ['alpha', '1'],
        ['alpha', 'junk'],
      ],
      'alpha',
    );
  });

  it(`reads at most ${MAX_PARAMS} parameters`, () => {
    const entries: Entries = Array.from({ length: MAX_PARAMS }, (_, i) => [
      'alpha',
      String(i / 10),
    ]);
    entries.push(['beta', '0.5']);
    const { config, errors } = parseExperimentParams(entries);
    expect(config.beta).toBe(DEFAULT_CONFIG.beta);
    expect(config.alpha).toBe((MAX_PARAMS - 1) / 10);
    expect(
      errors.some((e) => e.field === 'url' && e.message.includes(`${MAX_PARAMS + 1} parameters`)),
    ).toBe(true);
  });

  it('is safe against prototype keys', () => {
    const { config, errors, extras } = parseExperimentParams([
      ['__proto__', '1'],
      ['constructor', 'x'],
      ['toString', 'y'],
    ]);
    expect(errors.map((e) => e.field)).toEqual(['__proto__', 'constructor', 'toString']);
    expect(config).toEqual(DEFAULT_CONFIG);
    expect(Object.keys(extras)).toEqual([]);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('garbage never throws', () => {
  it('500 random garbage values for random keys give a valid config', () => {
    const rng = testRng(2024);
    const keys = [...Object.keys(DEFAULT_CONFIG), 'preset', 'bogus', '', '__proto__'];
    const alphabet = [
      '0',
      '1',
      '9',
      '.',
      '-',
      'e',
      ':',
      ',',
      'a',
      'alpha',
      'beta',
      '<',
      '>',
      '%',
      ' ',
      '\u0000',
      '😀',
      'NaN',
    ];
    for (let trial = 0; trial < 500; trial++) {
      const entries: Entries = [];
      const n = 1 + rng.int(5);
      for (let j = 0; j < n; j++) {
        const len = rng.next() < 0.02 ? 300 + rng.int(2000) : rng.int(20);
        let value = '';
        for (let c = 0; c < len; c++) value += pick(rng, alphabet);
        entries.push([pick(rng, keys), value]);
      }
      let result: ReturnType<typeof parseExperimentParams> | undefined;
      expect(() => {
        result = parseExperimentParams(entries);
      }).not.toThrow();
      expect(result && ExperimentSchema.safeParse(result.config).success).toBe(true);
      for (const e of result?.errors ?? []) {
        expect(e.message.length).toBeLessThan(400);
        // Control characters are escaped, so a message is one line of visible text.
        expect([...e.message].some((c) => c.charCodeAt(0) < 0x20)).toBe(false);
      }
    }
  });
});

describe('presets and model-dependent data', () => {
  it('a preset is the base that explicit parameters refine', () => {
    const r = parseExperimentParams([
      ['preset', 'mlp-spiral'],
      ['lr', '0.01'],
    ]);
    expect(r.errors).toEqual([]);
    expect(r.config.model).toBe('mlp');
    expect(r.config.data).toBe('spiral');
    expect(r.config.features).toBe('x,y,sinx,siny');
    expect(r.config.lr).toBe(0.01);
    expect(r.extras.preset).toBe('mlp-spiral');
  });

  it("a bad field of a preset's link names the value actually used: the preset's", () => {
    const r = parseExperimentParams([
      ['preset', 'mlp-circles'],
      ['features', 'x,z'],
      ['lr', 'fast'],
      ['hidden', 'wide'],
    ]);
    expect(r.config.features).toBe('x,y,x2,y2');
    expect(r.config.lr).toBe(0.01);
    expect(r.config.hidden).toBe('6');
    const message = (field: string) => r.errors.find((e) => e.field === field)?.message;
    expect(message('features')).toBe(
      'features: expected features from x, y, x2, y2, xy, sinx, siny, each at most once, got "x,z"; using the mlp-circles preset\'s x,y,x2,y2.',
    );
    expect(message('lr')).toContain("using the mlp-circles preset's 0.01.");
    expect(message('hidden')).toContain('expected comma-separated widths, e.g. 8,8');
    expect(message('hidden')).toContain("using the mlp-circles preset's 6.");
    // A value the preset leaves at the default is named as the default.
    const seed = parseExperimentParams([
      ['preset', 'mlp-circles'],
      ['seed', '-1'],
    ]);
    expect(seed.errors[0]?.message).toContain('using the default 1.');
    // Without a preset: the default.
    const plain = parseExperimentParams([['features', 'x,z']]);
    expect(plain.errors[0]?.message).toContain('using the default x,y.');
  });

  it("?preset=vgg-fashion&batch=257 names the value kept, the preset's 32", () => {
    const r = parseExperimentParams([
      ['preset', 'vgg-fashion'],
      ['batch', '257'],
    ]);
    expect(r.config.batch).toBe(32);
    expect(r.errors).toEqual([
      {
        field: 'batch',
        message:
          'batch: expected an integer between 1 and 256, got "257"; using the vgg-fashion preset\'s 32.',
      },
    ]);
  });

  it('every fallback message names the value used: each preset × field × bad value', () => {
    const bads = ['257', '-1', '0', 'x', '1e99', '', '<b>', '8,0'];
    let messages = 0;
    for (const id of [...PRESET_IDS, undefined]) {
      for (const field of Object.keys(DEFAULT_CONFIG) as (keyof ExperimentConfig)[]) {
        for (const bad of bads) {
          const entries: Entries = id
            ? [
                ['preset', id],
                [field, bad],
              ]
            : [[field, bad]];
          const r = parseExperimentParams(entries);
          for (const e of r.errors) {
            const used =
              / using (?:the default |the [\w-]+ preset's )?([^ ]*?)(?: \(model .*\))?\.$/.exec(
                e.message,
              )?.[1];
            if (used === undefined || e.field === 'events') continue;
            messages++;
            expect(used, `${id} ${field}=${bad}: ${e.message}`).toBe(
              String(r.config[e.field as keyof ExperimentConfig]),
            );
          }
        }
      }
    }
    expect(messages).toBeGreaterThan(1000);
  });

  it("a data set the model cannot use falls back to the preset's when it fits, and says so", () => {
    const r = parseExperimentParams([
      ['preset', 'mlp-circles'],
      ['data', 'austen'],
    ]);
    expect(r.config.data).toBe('circles');
    expect(r.errors[0]?.message).toContain("using the mlp-circles preset's circles.");
    // A refused data set whose fallback the model cannot use either names the one used.
    const vgg = parseExperimentParams([
      ['preset', 'mlp-circles'],
      ['model', 'vgg'],
      ['data', 'bogus'],
    ]);
    expect(vgg.config.data).toBe('fashion');
    expect(vgg.errors.map((e) => e.message)).toEqual([
      'data: expected one of austen, spiral, circles, xor, blobs, moons, fashion, got "bogus"; using fashion (model vgg trains on fashion).',
    ]);
  });

  it("a cross-field reset names the values used, the defaults where the preset's break the rule too", () => {
    const r = parseExperimentParams([
      ['preset', 'bert-austen'],
      ['probe', '32'],
      ['batch', '4'],
    ]);
    expect(r.config).toMatchObject({ kernel: 'trace', probe: 32, batch: 4 });
    expect(r.errors.map((e) => e.message)).toEqual([
      'kernel: the step kernel takes its n samples from the training batch: needs probe ≤ batch (kernel = "step"); kernel reset to its default (kernel = "trace").',
    ]);
    const heads = parseExperimentParams([
      ['preset', 'vgg-fashion'],
      ['groupSize', '5'],
    ]);
    expect(heads.errors[0]?.message).toContain(
      'channels and groupSize reset to the vgg-fashion preset\'s values (channels = "16,32", groupSize = 8).',
    );
  });

  it('an unknown preset is reported and the defaults are used', () => {
    const r = parseExperimentParams([['preset', '<b>nope</b>']]);
    expect(r.errors.map((e) => e.field)).toEqual(['preset']);
    // Quoted as typed; the error panel shows it as text (e2e: no element is made of it).
    expect(r.errors[0]!.message).toContain('unknown preset "<b>nope</b>"');
    expect(r.config).toEqual(DEFAULT_CONFIG);
  });

  it('a model given without data gets its own default data set', () => {
    const r = parseExperimentParams([['model', 'mlp']]);
    expect(r.errors).toEqual([]);
    expect(r.config.data).toBe('spiral');
  });

  it('a data set the model cannot use is reported and replaced', () => {
    const r = parseExperimentParams([
      ['model', 'bert'],
      ['data', 'moons'],
    ]);
    expect(r.errors.map((e) => e.field)).toEqual(['data']);
    expect(r.errors[0]!.message).toMatch(/does not fit model bert/);
    expect(r.config.data).toBe('austen');
  });
});
