import { describe, expect, it } from 'vitest';
import { parseExperimentParams } from '../core/url';
import { DEFAULT_CONFIG } from '../core/config';
import { mergeEvents, shareableConfig, shareableSearch } from './url-state';

describe('the link after repeated moves at one step', () => {
  it('keeps the last value given at a step: paused α 0.9 → 1.2 → 1.1 → 1.2 replays 1.2', () => {
    const logged = [
      { step: 5, name: 'alpha' as const, from: 0.9, to: 1.2 },
      { step: 5, name: 'alpha' as const, from: 1.2, to: 1.1 },
      { step: 5, name: 'alpha' as const, from: 1.1, to: 1.2 },
    ];
    expect(mergeEvents([], logged)).toEqual([{ step: 5, name: 'alpha', value: 1.2 }]);
    const search = shareableSearch(shareableConfig(DEFAULT_CONFIG, logged), []);
    const parsed = parseExperimentParams(new URLSearchParams(search).entries());
    expect(parsed.config.events).toEqual([{ step: 5, name: 'alpha', value: 1.2 }]);
  });

  it('keeps one event per step and target, overrides by module, in step order', () => {
    const merged = mergeEvents(
      [
        { step: 5, name: 'alpha', value: 2 },
        { step: 9, name: 'override', module: 'L0.H1', mode: 'off' },
      ],
      [
        // The replayed event logged again, then moved at the same paused step.
        { step: 5, name: 'alpha', from: 0.9, to: 2 },
        { step: 5, name: 'beta', from: 0.02, to: 0.05 },
        { step: 5, name: 'alpha', from: 2, to: 1.5 },
        { step: 9, name: 'override', module: 'L0.H1', from: 'off', to: 'auto' },
        { step: 9, name: 'override', module: 'L0.H0', from: 'auto', to: 'on' },
        { step: 3, name: 'beta', from: 0.02, to: 0.1 },
      ],
    );
    expect(merged).toEqual([
      { step: 3, name: 'beta', value: 0.1 },
      { step: 5, name: 'alpha', value: 1.5 },
      { step: 5, name: 'beta', value: 0.05 },
      { step: 9, name: 'override', module: 'L0.H1', mode: 'auto' },
      { step: 9, name: 'override', module: 'L0.H0', mode: 'on' },
    ]);
  });
});
