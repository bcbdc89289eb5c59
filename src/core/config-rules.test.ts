import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, ExperimentSchema } from './config';
import { validateRunFile } from './runfile';
import { MAX_LOGGED_EVENTS, Session } from './session';
import { TINY_MLM } from './testing/session';
import { parseExperimentParams } from './url';
import { loadCorpusFromDisk, loadTaskDataFromDisk } from '../node/deps';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Links the parser used to accept and the run then refused (issue 10), leaving Play disabled:
 * each is refused at parse time with a message naming the fields, and the config it falls back to
 * builds a Session.
 */
const REFUSED: [string, string[]][] = [
  ['preset=mlp-spiral&backend=wasm&hidden=0', ['hidden']],
  ['preset=mlp-spiral&backend=wasm&hidden=8,0', ['hidden']],
  ['model=vgg&channels=12&backend=wasm&batch=8&probe=4&valBatches=1', ['channels', 'groupSize']],
  ['preset=vgg-fashion&groupSize=5&backend=wasm', ['channels', 'groupSize']],
  ['model=vgg&channels=0', ['channels']],
  ['model=vgg&channels=16,0', ['channels']],
  ['model=vgg&channels=4,6&groupSize=4', ['channels', 'groupSize']],
  ['model=bert&dModel=64&heads=3', ['dModel', 'heads']],
  ['model=mlp&features=x,y,x', ['features']],
  ['model=mlp&features=sinx,sinx', ['features']],
];

describe('cross-field rules of the config', () => {
  it.each(REFUSED)('refuses ?%s at parse time, naming %j', (query, fields) => {
    const { config, errors } = parseExperimentParams(new URLSearchParams(query).entries());
    expect(errors.map((e) => e.field).sort()).toEqual([...fields].sort());
    for (const e of errors) {
      expect(e.message.startsWith(`${e.field}:`)).toBe(true);
      // A cross-field message names every field involved.
      if (fields.length > 1) for (const f of fields) expect(e.message).toContain(`${f} =`);
    }
    expect(ExperimentSchema.safeParse(config).success).toBe(true);
    // Play would start: the config it falls back to builds a Session.
    const s = new Session({ ...config, backend: 'cpu' }, loadTaskDataFromDisk(config));
    expect(s.modules.length).toBeGreaterThan(0);
    s.dispose();
  });

  it('still accepts channels that are multiples of the group size, and distinct features', () => {
    const { errors, config } = parseExperimentParams(
      new URLSearchParams('model=vgg&channels=12,24&groupSize=4&features=x,y,sinx').entries(),
    );
    expect(errors).toEqual([]);
    expect([config.channels, config.groupSize, config.features]).toEqual(['12,24', 4, 'x,y,sinx']);
  });

  it('accepts shared parts under the Switch Transformer’s modules (once refused)', () => {
    const { errors, config } = parseExperimentParams(
      new URLSearchParams('model=switch&data=austen&modules=heads,embed,shared').entries(),
    );
    expect(errors).toEqual([]);
    expect([config.model, config.modules]).toEqual(['switch', 'heads,embed,shared']);
  });
});

describe('a run of many slider moves', () => {
  it('exports 1,005 logged moves in a file that imports (the link caps its log, the file does not)', async () => {
    const s = new Session({ ...DEFAULT_CONFIG, ...TINY_MLM, K: 2 }, loadCorpusFromDisk());
    (await s.advance()).loss.dispose();
    for (let i = 0; i < 1005; i++) s.setParam('alpha', i % 2 === 0 ? 1.2 : 1.1, true);
    expect(s.events).toHaveLength(1005);
    const file = await s.exportRun(
      { backend: 'cpu', adapter: '', isFallbackAdapter: false },
      { step: [1], loss: [4], flops: [1], vanillaFlops: [1] },
      { step: [], perplexity: [] },
    );
    s.dispose();
    const run = validateRunFile(JSON.parse(JSON.stringify(file)));
    expect(run.events).toHaveLength(1005);
    expect(run.config.events).toHaveLength(1005);
    expect(run.config.events.at(-1)).toEqual({ step: 1, name: 'alpha', value: 1.2 });
  });

  it(`refuses a change beyond the ${MAX_LOGGED_EVENTS} a run file holds, with a message`, async () => {
    const s = new Session({ ...DEFAULT_CONFIG, ...TINY_MLM }, loadCorpusFromDisk());
    // Paused after step 1 (no evaluation due): each move is logged at once.
    (await s.advance()).loss.dispose();
    for (let i = 0; i < MAX_LOGGED_EVENTS; i++) s.setParam('beta', i % 2 === 0 ? 0.1 : 0.2, true);
    expect(s.events).toHaveLength(MAX_LOGGED_EVENTS);
    expect(() => s.setParam('beta', 0.3, true)).toThrow(/as many as a run file holds/);
    expect(() => s.override('L0.H0', 'off')).toThrow(/as many as a run file holds/);
    expect(s.events).toHaveLength(MAX_LOGGED_EVENTS);
    s.dispose();
  });
});
