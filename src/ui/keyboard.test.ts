/** The keyboard: the shortcut table and its guards, the grids' cursor, the slider nudges. */
import { beforeEach, describe, expect, it } from 'vitest';
import { nudgeLiveParam, setLiveParam } from '../store/actions';
import { shownParam } from '../store/run-slice';
import { resetStore, useLabStore } from '../store/store';
import { moveCursor } from './grid';
import type { KeyInput } from './shortcuts';
import { isTypingTarget, LIVE_SLIDERS, SHORTCUTS, shortcutFor } from './shortcuts';

/** A stand-in for a DOM element: what `closest` finds above it, by selector. */
function fakeTarget(tag: string, opts: { type?: string; inside?: string[] } = {}): EventTarget {
  const self = { tagName: tag.toUpperCase(), type: opts.type ?? '', isContentEditable: false };
  const within = new Set([tag, ...(opts.inside ?? [])]);
  return {
    ...self,
    closest: (sel: string) =>
      sel
        .split(',')
        .map((s) => s.trim())
        .some((s) => within.has(s))
        ? self
        : null,
  } as unknown as EventTarget;
}

const key = (k: string, rest: Partial<KeyInput> = {}): KeyInput => ({
  key: k,
  ctrlKey: false,
  metaKey: false,
  altKey: false,
  repeat: false,
  target: fakeTarget('body'),
  ...rest,
});

describe('shortcuts', () => {
  it('map each listed key to its action', () => {
    expect(shortcutFor(key(' '))).toBe('play-pause');
    expect(shortcutFor(key('k'))).toBe('play-pause');
    expect(shortcutFor(key('.'))).toBe('step');
    expect(shortcutFor(key('r'))).toBe('reset');
    expect(shortcutFor(key('['))).toBe('alpha-down');
    expect(shortcutFor(key(']'))).toBe('alpha-up');
    expect(shortcutFor(key(';'))).toBe('beta-down');
    expect(shortcutFor(key("'"))).toBe('beta-up');
    expect(shortcutFor(key('p'))).toBe('presenter');
    expect(shortcutFor(key('?'))).toBe('help');
    expect(shortcutFor(key('x'))).toBeNull();
    // Every key in the table is unique.
    const keys = SHORTCUTS.flatMap((s) => s.keys);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('never fire while typing in a field, or with a modifier', () => {
    for (const t of [
      fakeTarget('input', { type: 'text' }),
      fakeTarget('input', { type: 'number' }),
      fakeTarget('select'),
      fakeTarget('textarea'),
    ]) {
      expect(isTypingTarget(t)).toBe(true);
      expect(shortcutFor(key('r', { target: t }))).toBeNull();
      expect(shortcutFor(key(' ', { target: t }))).toBeNull();
    }
    expect(shortcutFor(key('r', { ctrlKey: true }))).toBeNull();
    expect(shortcutFor(key('p', { metaKey: true }))).toBeNull();
    expect(shortcutFor(key('k', { altKey: true }))).toBeNull();
  });

  it('work on a focused slider, leave Space to a focused button, and ignore held keys but nudges', () => {
    const slider = fakeTarget('input', { type: 'range' });
    expect(isTypingTarget(slider)).toBe(false);
    expect(shortcutFor(key(']', { target: slider }))).toBe('alpha-up');
    expect(shortcutFor(key(' ', { target: fakeTarget('button') }))).toBeNull();
    expect(shortcutFor(key('k', { target: fakeTarget('button') }))).toBe('play-pause');
    expect(shortcutFor(key('r', { repeat: true }))).toBeNull();
    expect(shortcutFor(key(']', { repeat: true }))).toBe('alpha-up');
  });
});

describe('grid cursor', () => {
  it('moves over modules × evaluations and stays inside', () => {
    const c = { row: 0, column: 0 };
    expect(moveCursor(c, 'ArrowDown', 3, 5)).toEqual({ row: 1, column: 0 });
    expect(moveCursor(c, 'j', 3, 5)).toEqual({ row: 1, column: 0 });
    expect(moveCursor(c, 'ArrowUp', 3, 5)).toEqual({ row: 0, column: 0 });
    expect(moveCursor({ row: 2, column: 4 }, 'ArrowDown', 3, 5)).toEqual({ row: 2, column: 4 });
    expect(moveCursor({ row: 2, column: 4 }, 'k', 3, 5)).toEqual({ row: 1, column: 4 });
    expect(moveCursor(c, 'ArrowRight', 3, 5)).toEqual({ row: 0, column: 1 });
    expect(moveCursor({ row: 0, column: 4 }, 'ArrowRight', 3, 5)).toEqual({ row: 0, column: 4 });
    expect(moveCursor(c, 'End', 3, 5)).toEqual({ row: 0, column: 4 });
    expect(moveCursor({ row: 1, column: 3 }, 'Home', 3, 5)).toEqual({ row: 1, column: 0 });
    expect(moveCursor(c, 'Enter', 3, 5)).toBeNull();
    expect(moveCursor(c, 'ArrowDown', 0, 5)).toBeNull();
  });
});

describe('slider nudges', () => {
  beforeEach(() => resetStore());
  const shown = (name: 'alpha' | 'beta') => shownParam(useLabStore.getState(), name);

  it('move α and β by their slider step, on the slider grid, within range', () => {
    const { alpha, beta } = LIVE_SLIDERS;
    setLiveParam('alpha', 0.9);
    setLiveParam('beta', 0.02);
    nudgeLiveParam('alpha', alpha.step, alpha.min, alpha.max);
    expect(shown('alpha')).toBe(0.95);
    nudgeLiveParam('beta', -beta.step, beta.min, beta.max);
    expect(shown('beta')).toBe(0.015);
    // Off the grid (a value from a link): the nudge lands on the grid.
    setLiveParam('alpha', 1.234);
    nudgeLiveParam('alpha', alpha.step, alpha.min, alpha.max);
    expect(shown('alpha')).toBe(1.3);
    // Clamped at the ends.
    setLiveParam('beta', 0.002);
    nudgeLiveParam('beta', -beta.step, beta.min, beta.max);
    expect(shown('beta')).toBe(0);
    setLiveParam('alpha', 3);
    nudgeLiveParam('alpha', alpha.step, alpha.min, alpha.max);
    expect(shown('alpha')).toBe(3);
  });
});
