import { describe, expect, it } from 'vitest';
import { parseExperimentParams } from './url';
import { asFork, parentId, withForkParams, withoutForkParams } from './fork';
import type { RunCheckpoint } from './checkpoint';
import { DEFAULT_CONFIG } from './config';

describe('fork and parent in the link', () => {
  it('passes a valid fork and parent through, untouched, beside the experiment', () => {
    const r = parseExperimentParams([
      ['model', 'mlp'],
      ['fork', '40'],
      ['parent', '0123abcd'],
    ]);
    expect(r.errors).toEqual([]);
    expect(r.extras).toEqual({ fork: '40', parent: '0123abcd' });
    expect(r.config.model).toBe('mlp');
  });

  it.each([
    ['fork', '-1', /^fork: "-1" is not a step \(an integer 0–10,000,000\); ignored\.$/],
    ['fork', '1.5', /^fork: "1\.5" is not a step/],
    ['fork', '99999999', /^fork: "99999999" is not a step/],
    ['fork', '', /^fork: "" is not a step/],
    // Quoted as text (the page shows messages as text, never as markup).
    ['fork', '<b>1</b>', /^fork: "<b>1<\/b>" is not a step/],
  ])('refuses %s=%s with a sentence naming the field', (key, value, message) => {
    const r = parseExperimentParams([[key, value]]);
    expect(r.extras).toEqual({});
    expect(r.errors).toHaveLength(1);
    expect(r.errors[0]!.field).toBe('fork');
    expect(r.errors[0]!.message).toMatch(message);
  });

  it('refuses a parent that is not 8 hex digits, or one without fork', () => {
    const bad = parseExperimentParams([
      ['fork', '10'],
      ['parent', 'XYZ'],
    ]);
    expect(bad.extras).toEqual({ fork: '10' });
    expect(bad.errors.map((e) => e.field)).toEqual(['parent']);
    expect(bad.errors[0]!.message).toMatch(/^parent: "XYZ" is not a run's identifier/);
    const alone = parseExperimentParams([['parent', '0123abcd']]);
    expect(alone.extras).toEqual({});
    expect(alone.errors[0]!.message).toBe('parent: given without fork; ignored.');
  });

  it("names a parent by its link's hash (stable, 8 hex digits, different links differ)", () => {
    expect(parentId('?model=mlp')).toBe(parentId('?model=mlp'));
    expect(parentId('?model=mlp')).toMatch(/^[0-9a-f]{8}$/);
    expect(parentId('?model=mlp')).not.toBe(parentId('?model=bert'));
    // FNV-1a's published value for the empty string.
    expect(parentId('')).toBe('811c9dc5');
  });

  it('sets and drops the pass-through fields, keeping the others', () => {
    const with1 = withForkParams([['preset', 'mlp-spiral']], 20, '?a=1');
    expect(with1).toEqual([
      ['preset', 'mlp-spiral'],
      ['fork', '20'],
      ['parent', parentId('?a=1')],
    ]);
    expect(withForkParams(with1, 30, '?b=2').filter(([k]) => k === 'fork')).toEqual([
      ['fork', '30'],
    ]);
    expect(withoutForkParams(with1)).toEqual([['preset', 'mlp-spiral']]);
  });
});

describe('asFork', () => {
  it("drops the parent's future: the config's events and the events still to replay", () => {
    const c = {
      config: {
        ...DEFAULT_CONFIG,
        events: [{ step: 90, name: 'alpha', value: 1.2 }],
      },
      session: {
        step: 40,
        events: [{ step: 20, name: 'alpha', from: 0.9, to: 1.1 }],
        replay: { params: [{ step: 90, name: 'alpha', value: 1.2 }], overrides: [] },
      },
    } as unknown as RunCheckpoint;
    const f = asFork(c);
    expect(f.config.events).toEqual([]);
    expect(f.session.replay).toEqual({ params: [], overrides: [] });
    // The history up to the step stays.
    expect(f.session.events).toEqual(c.session.events);
    expect(f.config.model).toBe(c.config.model);
    // The checkpoint given is not changed.
    expect(c.config.events).toHaveLength(1);
  });
});
