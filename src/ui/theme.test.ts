/**
 * Both themes' colours (the custom properties of styles.css) meet WCAG 2 AA contrast for the text
 * and marks drawn with them: body text, muted notes, links, badges, tooltips, the canvas grids'
 * labels and the heatmap legend, chart lines; the confusion matrix's per-cell text; the λmax
 * colour scale.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { lambdaScale } from './colour';
import { confusionCellColours } from './confusion';
import { blend, contrastRatio, parseColour } from './contrast';
import { FALLBACK_PALETTE } from './theme';

const CSS = readFileSync(new URL('../styles.css', import.meta.url), 'utf8');

/** The custom properties declared in the first block that `selector` opens. */
function block(selector: string): Record<string, string> {
  const start = CSS.indexOf(`${selector} {`);
  if (start < 0) throw new Error(`no ${selector} block in styles.css`);
  const body = CSS.slice(start, CSS.indexOf('\n}', start));
  const vars: Record<string, string> = {};
  for (const m of body.matchAll(/(--[\w-]+):\s*([^;]+);/g)) vars[m[1]!] = m[2]!.trim();
  return vars;
}

const LIGHT = block(':root');
const DARK = { ...LIGHT, ...block(":root[data-theme='dark']") };
const THEMES = { light: LIGHT, dark: DARK } as const;

/** Text on a background: 4.5:1 (AA, normal text). */
const TEXT_PAIRS: [string, string][] = [
  ['--text', '--bg'],
  ['--text', '--card'],
  ['--muted', '--bg'],
  ['--muted', '--card'],
  ['--muted', '--surface'],
  ['--text', '--surface'],
  ['--text', '--control-bg'],
  ['--text', '--hover-bg'],
  ['--text', '--pressed-bg'],
  ['--text', '--state-bg'],
  ['--text', '--code-bg'],
  ['--text', '--info-bg'],
  ['--text', '--warn-bg'],
  ['--text', '--error-bg'],
  ['--accent', '--card'],
  ['--accent', '--bg'],
  ['--accent-ink', '--accent'],
  ['--accent-ink', '--accent-strong'],
  ['--good', '--card'],
  ['--good', '--surface'],
  ['--bad', '--card'],
  ['--bad', '--surface'],
  ['--ok-text', '--ok-bg'],
  ['--ok-text', '--running-bg'],
  ['--warn-text', '--warn-bg'],
  ['--error-line', '--error-bg'],
  ['--pending', '--card'],
  ['--tooltip-text', '--tooltip-bg'],
  ['--tooltip-muted', '--tooltip-bg'],
  // canvases and charts: axis and row labels, the heatmap legend's ticks (text on the card)
  ['--chart-text', '--card'],
  ['--grid-text', '--card'],
  ['--grid-muted', '--card'],
];

/** Marks and boundaries that are not text: 3:1 (WCAG 1.4.11). */
const MARK_PAIRS: [string, string][] = [
  ['--focus', '--card'],
  ['--focus', '--bg'],
  ['--control-line', '--card'],
  ['--loss-raw', '--card'],
  ['--loss-ema', '--card'],
  ['--val-line', '--card'],
  ['--bar', '--card'],
  ['--trajectory', '--card'],
  ['--reference', '--card'],
  ['--net-node-line', '--card'],
  ['--selected', '--card'],
];

describe.each(Object.entries(THEMES))('the %s theme', (_name, vars) => {
  const get = (v: string) => {
    const value = vars[v];
    if (value === undefined) throw new Error(`${v} is not declared`);
    return value;
  };

  it.each(TEXT_PAIRS)('text %s on %s reaches 4.5:1', (fg, bg) => {
    expect(contrastRatio(get(fg), get(bg))).toBeGreaterThanOrEqual(4.5);
  });

  it.each(MARK_PAIRS)('mark %s on %s reaches 3:1', (fg, bg) => {
    expect(contrastRatio(get(fg), get(bg))).toBeGreaterThanOrEqual(3);
  });

  it('confusion-matrix text reaches 4.5:1 on every share of a row, diagonal or not', () => {
    for (let i = 0; i <= 100; i++) {
      for (const diagonal of [true, false]) {
        const c = confusionCellColours(i / 100, diagonal, get('--card'), get('--text'));
        expect(contrastRatio(c.color, c.background), `share ${i}%`).toBeGreaterThanOrEqual(4.5);
      }
    }
  });

  it('the λmax scale spans 3:1 from its lowest to its highest colour', () => {
    const scale = lambdaScale([1e-3, 10], get('--no-value'));
    expect(contrastRatio(scale.colour(1e-3), scale.colour(10))).toBeGreaterThanOrEqual(3);
    // Values off the scale keep the theme's own colour.
    expect(scale.colour(0)).toBe(get('--no-value'));
  });
});

describe('contrast helpers', () => {
  it('computes WCAG ratios of known pairs', () => {
    expect(contrastRatio('#000000', '#ffffff')).toBeCloseTo(21, 5);
    expect(contrastRatio('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
    expect(contrastRatio('#ffffff', '#ffffff')).toBe(1);
  });

  it('blends a colour over another as the screen shows it', () => {
    expect(blend([0, 0, 0], 0.5, [255, 255, 255])).toEqual([128, 128, 128]);
    expect(blend([29, 100, 242], 0, parseColour('#ffffff'))).toEqual([255, 255, 255]);
  });

  it("the old fixed rule (white text above 55 % of a row, else the page's) fails on the VGG matrix", () => {
    // What the matrix did before: rgb(29 100 242 / share·0.75) on white, white text over 55 %.
    const fill = blend([29, 100, 242], 0.56 * 0.75, [255, 255, 255]);
    expect(contrastRatio('#ffffff', fill)).toBeLessThan(3);
    const picked = confusionCellColours(0.56, true, '#ffffff', '#111827');
    expect(contrastRatio(picked.color, picked.background)).toBeGreaterThanOrEqual(4.5);
  });

  it('the canvases fall back to the light theme declared in styles.css', () => {
    expect(FALLBACK_PALETTE.gridText).toBe(LIGHT['--grid-text']);
    expect(FALLBACK_PALETTE.card).toBe(LIGHT['--card']);
    expect(FALLBACK_PALETTE.noValue).toBe(LIGHT['--no-value']);
  });
});
