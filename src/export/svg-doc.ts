/**
 * Standalone SVG documents for the chart exports: an XML declaration, the SVG namespace, a size
 * and view box, a title, a background rectangle (the theme's card colour, so the file looks as
 * the panel did) and, where asked, a legend of coloured line keys. Nothing refers outside the
 * file: no style sheet, no CSS custom property, no external image. Pure strings.
 */
import { xmlEscape } from '../report/svg';

export { xmlEscape };

/** A number for an attribute: at most 2 decimals, no trailing zeros. */
export const n2 = (x: number): string => (Math.round(x * 100) / 100).toString();

/** One key of a legend: a short line in `colour` (dashed when `dash`), then `label`. */
export interface LegendItem {
  label: string;
  colour: string;
  dash?: string | undefined;
  /** Stroke opacity of the key's line (1 when absent). */
  opacity?: number | undefined;
}

const LEGEND_ROW = 18;
const LEGEND_FONT = 12;

/**
 * A legend laid out in rows across `width` (each key's width estimated from its text, 0.6 em a
 * character), from the top left (`x`, `y`); its markup and height.
 */
export function legendSvg(
  items: readonly LegendItem[],
  x: number,
  y: number,
  width: number,
  textColour: string,
): { markup: string; height: number } {
  if (items.length === 0) return { markup: '', height: 0 };
  const out: string[] = [];
  let cx = x;
  let cy = y + LEGEND_ROW / 2;
  for (const item of items) {
    const w = 28 + item.label.length * LEGEND_FONT * 0.6 + 16;
    if (cx > x && cx + w > x + width) {
      cx = x;
      cy += LEGEND_ROW;
    }
    const dash = item.dash ? ` stroke-dasharray="${xmlEscape(item.dash)}"` : '';
    const opacity = item.opacity !== undefined ? ` stroke-opacity="${n2(item.opacity)}"` : '';
    out.push(
      `<line x1="${n2(cx)}" y1="${n2(cy)}" x2="${n2(cx + 22)}" y2="${n2(cy)}" stroke="${xmlEscape(item.colour)}" stroke-width="2.5"${dash}${opacity}/>`,
      `<text x="${n2(cx + 28)}" y="${n2(cy)}" dominant-baseline="middle" font-size="${LEGEND_FONT}" fill="${xmlEscape(textColour)}">${xmlEscape(item.label)}</text>`,
    );
    cx += w;
  }
  return {
    markup: `<g class="legend">${out.join('')}</g>`,
    height: cy - y + LEGEND_ROW / 2 + 4,
  };
}

/** A whole SVG file of `body` (trusted markup) on a `background` rectangle. */
export function svgDocument(opts: {
  width: number;
  height: number;
  title: string;
  background: string;
  body: string;
  defs?: string;
}): string {
  const { width, height } = opts;
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    `<svg xmlns="http://www.w3.org/2000/svg" width="${n2(width)}" height="${n2(height)}" viewBox="0 0 ${n2(width)} ${n2(height)}" font-family="system-ui, sans-serif">`,
    `<title>${xmlEscape(opts.title)}</title>`,
    opts.defs ? `<defs>${opts.defs}</defs>` : '',
    `<rect width="${n2(width)}" height="${n2(height)}" fill="${xmlEscape(opts.background)}"/>`,
    opts.body,
    '</svg>',
    '',
  ]
    .filter((l) => l !== '')
    .join('\n')
    .concat('\n');
}
