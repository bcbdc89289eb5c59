import { beforeEach, describe, expect, it } from 'vitest';
import { presetConfig, presetDifferences } from '../core/presets';
import { applyPreset, bootLab } from './actions';
import { presetParam, presetStatus, presetStatusText, withPresetParam } from './preset-state';
import { resetStore, useLabStore } from './store';
import { FakeTrainer } from './testing';
import { shareableSearch } from './url-state';

const get = useLabStore.getState;

beforeEach(() => resetStore());

describe('which preset a run is', () => {
  it('a config that is a preset is that preset; a field its family does not read changes nothing', () => {
    const bert = presetConfig('bert-austen')!;
    expect(presetStatus(bert, []).preset?.id).toBe('bert-austen');
    expect(presetStatus({ ...bert, hidden: '32,32' }, []).preset?.id).toBe('bert-austen');
    // Run control is not the experiment.
    const driven = { ...bert, backend: 'wasm', stopAt: 40, autoplay: true } as const;
    expect(presetStatus(driven, []).preset?.id).toBe('bert-austen');
    expect(presetStatus({ ...bert, lr: 0.0123 }, [])).toEqual({ preset: null, differs: [] });
    expect(presetStatusText({ preset: null, differs: [] })).toBe('custom');
  });

  it('a preset named in the link stays its base; changed fields make it "custom (from …)"', () => {
    const circles = presetConfig('mlp-circles')!;
    const link: [string, string][] = [
      ['worker', '0'],
      ['preset', 'mlp-circles'],
    ];
    const same = presetStatus(circles, link);
    expect(same).toMatchObject({ preset: { id: 'mlp-circles' }, differs: [] });
    expect(presetStatusText(same)).toBe('MLP · circles (first look)');
    const changed = presetStatus({ ...circles, seed: 7, hidden: '8' }, link);
    expect(changed.differs).toEqual(['hidden', 'seed']);
    expect(presetStatusText(changed)).toBe('custom (from mlp-circles: hidden, seed changed)');
    // An unknown id in the link is no base: the config's own match is used.
    expect(presetParam([['preset', 'nope']])).toBeNull();
    expect(presetStatus(circles, [['preset', 'nope']]).preset?.id).toBe('mlp-circles');
    expect(presetDifferences(circles, 'nope')).toBeUndefined();
  });

  it('sets the preset parameter once, keeping page parameters', () => {
    expect(
      withPresetParam(
        [
          ['preset', 'a'],
          ['worker', '0'],
        ],
        'mlp-spiral',
      ),
    ).toEqual([
      ['worker', '0'],
      ['preset', 'mlp-spiral'],
    ]);
  });
});

describe('choosing a preset', () => {
  it("applies the preset's whole config, restarts, and the link names it", () => {
    const t = new FakeTrainer();
    bootLab('?model=mlp&lr=abc&backend=wasm', () => t);
    expect(get().errors.map((e) => e.code)).toEqual(['lr']);
    applyPreset('mlp-spiral');
    const spiral = presetConfig('mlp-spiral')!;
    // Not a plain spiral: the preset's features, lr and warm-up; the chosen backend stays.
    expect(t.inits.at(-1)).toEqual({ ...spiral, backend: 'wasm' });
    expect(t.inits.at(-1)?.features).toBe('x,y,sinx,siny');
    expect(get().settings).toEqual({ ...spiral, backend: 'wasm' });
    expect(get().passThrough).toEqual([['preset', 'mlp-spiral']]);
    expect(shareableSearch(get().runConfig, get().passThrough)).toContain('preset=mlp-spiral');
    // The link's problems were about the run it opened, which is gone.
    expect(get().errors).toEqual([]);
    expect(presetStatus(get().runConfig, get().passThrough).differs).toEqual([]);
    applyPreset('no-such-preset');
    expect(t.inits).toHaveLength(2);
  });
});
