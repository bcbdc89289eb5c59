/** Colours of a confusion-matrix cell: a fill by share of the row, and text that reads on it. */
import type { Rgb } from './contrast';
import { bestTextColour, blend, cssRgb, parseColour } from './contrast';

/** Hue of correct predictions (the diagonal) and of confusions. */
const DIAGONAL: Rgb = [29, 100, 242];
const OFF_DIAGONAL: Rgb = [200, 30, 30];
/** Opacity of a cell that holds the whole row. */
const MAX_ALPHA = 0.75;

/**
 * The cell's fill (opaque: the hue at an opacity by `share` over the card) and the text colour,
 * of the theme's text and card colours (or black or white), with the highest WCAG contrast on it.
 */
export function confusionCellColours(
  share: number,
  diagonal: boolean,
  card: string,
  text: string,
): { background: string; color: string } {
  const alpha = Math.min(1, Math.max(0, Number.isFinite(share) ? share : 0)) * MAX_ALPHA;
  const fill = blend(diagonal ? DIAGONAL : OFF_DIAGONAL, alpha, parseColour(card));
  // Black and white as well: one of them always reaches 4.58:1, whatever the fill.
  return {
    background: cssRgb(fill),
    color: bestTextColour(fill, [text, card, '#000000', '#ffffff']),
  };
}
