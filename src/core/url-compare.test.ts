import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config';
import { presetConfig } from './presets';
import { COMPARE_FIELDS, compareConfig, formatCompare, parseCompare } from './url';
import type { CompareSpec } from './url';
import { readLink, shareableSearch } from '../store/url-state';

const spec = (raw: string): CompareSpec | null => {
  const r = parseCompare(raw);
  if (!r.ok) throw new Error(r.error.message);
  return r.spec;
};
const refusal = (raw: string): string => {
  const r = parseCompare(raw);
  if (r.ok) throw new Error(`${raw} was accepted`);
  expect(r.error.field).toBe('compare');
  return r.error.message;
};

describe('compare= (a second arm)', () => {
  it('reads a policy, field:value overrides, and none', () => {
    expect(spec('vanilla')).toEqual({ policy: 'vanilla' });
    expect(spec('random')).toEqual({ policy: 'random' });
    expect(spec('mat,alpha:1.2,K:20,ref:median')).toEqual({
      policy: 'mat',
      alpha: 1.2,
      K: 20,
      ref: 'median',
    });
    expect(spec('policy:progressive,lr:0.001')).toEqual({ policy: 'progressive', lr: 0.001 });
    expect(spec('beta:0.1')).toEqual({ beta: 0.1 });
    expect(spec('none')).toBeNull();
    expect(spec('')).toBeNull();
  });

  it('refuses a field that would change seed, data, model, batch or probe, naming it', () => {
    for (const field of ['seed', 'data', 'model', 'batch', 'probe', 'events']) {
      const m = refusal(`vanilla,${field}:3`);
      expect(m).toContain(`${field} cannot differ between the two arms`);
      expect(m).toContain('no second arm is run');
    }
  });

  it('refuses unknown words, bad values and repeats with a sentence', () => {
    expect(refusal('sgd')).toContain('policy "sgd" is not one of vanilla, mat');
    expect(refusal('colour:red')).toContain('"colour" is not a field a second arm can change');
    expect(refusal('mat,alpha:11')).toContain('alpha "11" is not a number between');
    expect(refusal('mat,K:1.5')).toContain('K "1.5" is not an integer');
    expect(refusal('mat,policy:vanilla')).toContain('policy is given twice');
    expect(refusal('x'.repeat(300))).toContain('more than the 256 allowed');
  });

  it('round-trips every spec it writes', () => {
    const specs: (CompareSpec | null)[] = [
      null,
      { policy: 'vanilla' },
      { policy: 'mat', alpha: 1.25, beta: 0.05, K: 7, warmup: 0, window: 2, stop: 'sticky' },
      { lr: 0.000123, progSpan: 40 },
    ];
    for (const s of specs) expect(parseCompare(formatCompare(s))).toEqual({ ok: true, spec: s });
    expect(formatCompare({ K: 5, policy: 'random' })).toBe('random,K:5');
  });

  it('derives arm B from arm A: only the spec fields differ, no events, no autoplay', () => {
    const a = {
      ...presetConfig('mlp-spiral')!,
      autoplay: true,
      events: [{ step: 10, name: 'alpha' as const, value: 1.1 }],
    };
    const b = compareConfig(a, { policy: 'vanilla', K: 5 });
    expect(b).toEqual({ ...a, policy: 'vanilla', K: 5, events: [], autoplay: false });
    // Every field a spec may hold exists in the experiment (the list is not stale).
    for (const f of COMPARE_FIELDS) expect(f in DEFAULT_CONFIG).toBe(true);
  });

  it('is a page parameter of the link: read apart from the experiment, written back', () => {
    const link = readLink('?preset=mlp-spiral&compare=vanilla&stopAt=40');
    expect(link.errors).toEqual([]);
    expect(link.page).toEqual([['compare', 'vanilla']]);
    expect(link.config.stopAt).toBe(40);
    const again = readLink(shareableSearch(link.config, link.page, link.flags));
    expect(again.page).toEqual([['compare', 'vanilla']]);
    expect(again.config).toEqual(link.config);
  });
});
