/**
 * WCAG 2 contrast: relative luminance and contrast ratio of CSS colours (parsed by d3-color), and
 * the text colour that reads best on a fill. Used where the lab picks a text colour for a
 * computed fill (the confusion matrix) and by the unit test that checks both themes' palettes.
 */
import { color, rgb } from 'd3-color';

/** A colour as 0–255 red, green, blue (alpha dropped). */
export type Rgb = [number, number, number];

/** Parses any CSS colour d3-color reads (hex, rgb(), hsl(), names); throws on anything else. */
export function parseColour(css: string): Rgb {
  const c = color(css.trim());
  if (!c) throw new Error(`not a colour: ${css}`);
  const { r, g, b } = c.rgb();
  return [r, g, b];
}

/** WCAG 2 relative luminance of an sRGB colour. */
export function luminance([r, g, b]: Rgb): number {
  const lin = (v: number) => {
    const s = v / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG 2 contrast ratio of two colours, 1–21. */
export function contrastRatio(a: Rgb | string, b: Rgb | string): number {
  const la = luminance(typeof a === 'string' ? parseColour(a) : a);
  const lb = luminance(typeof b === 'string' ? parseColour(b) : b);
  return (Math.max(la, lb) + 0.05) / (Math.min(la, lb) + 0.05);
}

/** `top` at opacity `alpha` over the opaque `under` (what the screen shows). */
export function blend(top: Rgb, alpha: number, under: Rgb): Rgb {
  const a = Math.min(1, Math.max(0, alpha));
  return [0, 1, 2].map((i) => Math.round(top[i]! * a + under[i]! * (1 - a))) as Rgb;
}

/** The candidate with the highest contrast on `fill`. */
export function bestTextColour(fill: Rgb | string, candidates: readonly string[]): string {
  let best = candidates[0] ?? '#000000';
  let bestRatio = -1;
  for (const c of candidates) {
    const r = contrastRatio(fill, c);
    if (r > bestRatio) {
      best = c;
      bestRatio = r;
    }
  }
  return best;
}

/** An `Rgb` as a CSS `rgb()` string. */
export function cssRgb([r, g, b]: Rgb): string {
  return rgb(r, g, b).formatRgb();
}
