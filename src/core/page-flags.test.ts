import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from './config';
import { DEFAULT_PAGE_FLAGS, pageFlagsToParams, parsePageFlags } from './url';
import { shareableSearch, splitPageParams } from '../store/url-state';

const parse = (q: string) => parsePageFlags(new URLSearchParams(q).entries());

describe('page flags in the URL (present, hide, theme)', () => {
  it('defaults to the full page, no forced theme', () => {
    expect(parse('')).toEqual({ flags: DEFAULT_PAGE_FLAGS, errors: [] });
    expect(pageFlagsToParams(DEFAULT_PAGE_FLAGS)).toEqual([]);
  });

  it('reads presenter mode, hidden parts (canonical order, once each) and the theme', () => {
    const { flags, errors } = parse('present=1&hide=share,sliders,share,experiment&theme=dark');
    expect(errors).toEqual([]);
    expect(flags).toEqual({
      present: true,
      hide: ['sliders', 'experiment', 'share'],
      theme: 'dark',
      fused: true,
    });
    expect(parse('present=true').flags.present).toBe(true);
    expect(parse('present=0').flags.present).toBe(false);
  });

  it('reports bad values by name and keeps the rest', () => {
    const { flags, errors } = parse('present=yes&hide=sliders,<b>x</b>&theme=purple');
    expect(flags).toEqual({ present: false, hide: ['sliders'], fused: true });
    expect(errors.map((e) => e.field)).toEqual(['present', 'hide', 'theme']);
    // The bad part is quoted (shown as text by the error panel, never as markup).
    expect(errors[1]!.message).toContain('"<b>x</b>"');
    expect(errors[1]!.message).toContain('known: controls, sliders');
  });

  it('round-trips through the URL', () => {
    const flags = { present: true, hide: ['share', 'model'] as const, theme: 'light' as const };
    const again = parsePageFlags(
      pageFlagsToParams({ ...flags, hide: [...flags.hide], fused: false }),
    );
    expect(again.flags).toEqual({
      present: true,
      hide: ['model', 'share'],
      theme: 'light',
      fused: false,
    });
  });

  it('fused=0 turns the fused kernels off; on by default and left out of links then', () => {
    expect(parsePageFlags([]).flags.fused).toBe(true);
    expect(parsePageFlags([['fused', '0']]).flags.fused).toBe(false);
    expect(parsePageFlags([['fused', 'true']]).flags.fused).toBe(true);
    expect(pageFlagsToParams({ ...DEFAULT_PAGE_FLAGS })).toEqual([]);
    expect(pageFlagsToParams({ ...DEFAULT_PAGE_FLAGS, fused: false })).toEqual([['fused', '0']]);
    const bad = parsePageFlags([['fused', 'maybe']]);
    expect(bad.flags.fused).toBe(true);
    expect(bad.errors).toEqual([
      {
        field: 'fused',
        message: 'fused: expected 1, 0, true or false, got "maybe"; the fused kernels stay on.',
      },
    ]);
  });

  it('are page parameters, not experiment fields, and stay in the shared link', () => {
    const { experiment, page } = splitPageParams(
      new URLSearchParams('preset=mlp-spiral&present=1&hide=share&worker=0&K=5').entries(),
    );
    expect(experiment.map(([k]) => k)).toEqual(['preset', 'K']);
    expect(page.map(([k]) => k)).toEqual(['present', 'hide', 'worker']);
    const search = new URLSearchParams(
      shareableSearch(
        DEFAULT_CONFIG,
        [
          ['worker', '0'],
          ['present', '0'],
        ],
        {
          present: true,
          hide: ['share'],
          fused: true,
        },
      ),
    );
    // The flags come from the page state (present=0 from the pass-through does not survive).
    expect(search.getAll('present')).toEqual(['1']);
    expect(search.get('hide')).toBe('share');
    expect(search.get('worker')).toBe('0');
    expect(search.get('K')).toBe(String(DEFAULT_CONFIG.K));
  });
});
