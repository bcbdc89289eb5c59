import { describe, expect, it } from 'vitest';
import { POLICIES } from '../core/config';
import type { DecisionReason } from '../core/types';
import { CELL_STYLES, cellStyle, legendReasons } from './cell-style';

const ALL: DecisionReason[] = [
  'warmup',
  'all',
  'active',
  'frozen-alpha',
  'stopped-beta',
  'random-on',
  'random-off',
  'frozen-schedule',
  'forced-on',
  'forced-off',
];

/** What a viewer without colour vision can tell apart: pattern, outline, glyph and lightness band. */
function nonColourSignature(reason: DecisionReason): string {
  const s = cellStyle(reason);
  const hex = s.fill.replace('#', '');
  const [r, g, b] = [0, 2, 4].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255) as [
    number,
    number,
    number,
  ];
  const luminance = 0.2126 * r + 0.7152 * g + 0.0722 * b;
  return `${s.pattern}|${s.outline}|${s.glyph ?? ''}|${luminance > 0.5 ? 'light' : 'dark'}`;
}

describe('cell styles', () => {
  it('covers every decision reason and agrees with updating', () => {
    for (const r of ALL) expect(CELL_STYLES[r]).toBeDefined();
    for (const r of ['warmup', 'all', 'active', 'random-on', 'forced-on'] as const)
      expect(cellStyle(r).updating).toBe(true);
    for (const r of [
      'frozen-alpha',
      'stopped-beta',
      'random-off',
      'frozen-schedule',
      'forced-off',
    ] as const)
      expect(cellStyle(r).updating).toBe(false);
  });

  it('uses the patterns the legend promises', () => {
    expect(cellStyle('active').pattern).toBe('none');
    expect(cellStyle('frozen-alpha').pattern).toBe('hatch');
    expect(cellStyle('stopped-beta').pattern).toBe('dots');
    expect(cellStyle('frozen-schedule').pattern).toBe('stripes');
    expect(cellStyle('forced-on').outline).toBe(true);
    expect(cellStyle('forced-off').outline).toBe(true);
    expect(cellStyle('forced-on').glyph).not.toBe(cellStyle('forced-off').glyph);
  });

  it('tells the states of each policy apart without colour', () => {
    for (const policy of POLICIES) {
      const reasons = legendReasons(policy);
      const signatures = reasons.map(nonColourSignature);
      expect(new Set(signatures).size, `${policy}: ${signatures.join(', ')}`).toBe(reasons.length);
    }
  });
});
