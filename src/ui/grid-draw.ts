/** Canvas drawing for the module × evaluation grids (heatmap and timeline). */
import type { EvalColumn } from '../store/evaluations-slice';
import type { CellPattern, CellStyle } from './cell-style';
import { cellStyle, glyphColour } from './cell-style';
import type { LambdaScale } from './colour';
import type { GridLayout } from './grid';
import { GUTTER } from './grid';

/** Height of the step axis under the grid, CSS px, at the default 12 px type. */
export const AXIS_HEIGHT = 20;

/** Colours and type size of the grid's labels and separators (from the theme, see theme.ts). */
export interface GridInk {
  text: string;
  muted: string;
  /** Lines between layers: the card's colour, so they read as gaps. */
  separator: string;
  /** Label size in CSS px (larger in presenter mode). */
  fontPx: number;
}

/** The light theme's ink at the default size. */
export const DEFAULT_INK: GridInk = {
  text: '#1f2937',
  muted: '#4b5563',
  separator: '#ffffff',
  fontPx: 12,
};

/** Height of the step axis for labels of `fontPx`. */
export const axisHeight = (fontPx: number) => Math.max(AXIS_HEIGHT, fontPx + 8);

/** The grid's label font at `px`. */
export const fontFor = (px: number) =>
  `${px}px system-ui, -apple-system, "Segoe UI", Roboto, sans-serif`;
const font = fontFor;

/** Sizes the canvas for the device pixel ratio and returns a context in CSS px. */
export function setupCanvas(
  canvas: HTMLCanvasElement,
  width: number,
  height: number,
): CanvasRenderingContext2D | null {
  const dpr = Math.max(1, Math.min(3, window.devicePixelRatio || 1));
  const w = Math.round(width * dpr);
  const h = Math.round(height * dpr);
  if (canvas.width !== w) canvas.width = w;
  if (canvas.height !== h) canvas.height = h;
  canvas.style.width = `${width}px`;
  canvas.style.height = `${height}px`;
  const ctx = canvas.getContext('2d');
  if (!ctx) return null;
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  ctx.clearRect(0, 0, width, height);
  return ctx;
}

/** Row labels in the gutter (every k-th when rows are too thin to label all). */
export function drawRows(
  ctx: CanvasRenderingContext2D,
  layout: GridLayout,
  labels: string[],
  ink: GridInk = DEFAULT_INK,
): void {
  ctx.font = font(ink.fontPx);
  ctx.fillStyle = ink.text;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  const every = Math.max(1, Math.ceil(ink.fontPx / layout.rowH));
  labels.forEach((label, r) => {
    if (r % every === 0) ctx.fillText(label, GUTTER - 8, r * layout.rowH + layout.rowH / 2);
  });
}

/** Separators between layers, drawn over the cells. */
export function drawLayerLines(
  ctx: CanvasRenderingContext2D,
  layout: GridLayout,
  layers: number[],
  ink: GridInk = DEFAULT_INK,
): void {
  const right = GUTTER + layout.columns.length * layout.cellW;
  ctx.fillStyle = ink.separator;
  for (let r = 1; r < layers.length; r++) {
    if (layers[r] !== layers[r - 1])
      ctx.fillRect(GUTTER - 4, r * layout.rowH - 1, right - GUTTER + 4, 2);
  }
}

/** Steps under the first, middle and last column. */
export function drawStepAxis(
  ctx: CanvasRenderingContext2D,
  layout: GridLayout,
  evaluations: readonly EvalColumn[],
  ink: GridInk = DEFAULT_INK,
): void {
  const n = layout.columns.length;
  if (n === 0) return;
  const y = layout.height + axisHeight(ink.fontPx) / 2 + 2;
  ctx.font = font(ink.fontPx);
  ctx.fillStyle = ink.muted;
  ctx.textBaseline = 'middle';
  ctx.textAlign = 'left';
  ctx.fillText('step', 4, y);
  const picks = n === 1 ? [0] : n === 2 ? [0, 1] : [0, Math.floor((n - 1) / 2), n - 1];
  let lastRight = -Infinity;
  for (const c of picks) {
    const e = evaluations[layout.columns[c] ?? -1];
    if (!e) continue;
    const text = String(e.step);
    const x = GUTTER + (c + 0.5) * layout.cellW;
    const w = ctx.measureText(text).width;
    const left = Math.min(Math.max(x - w / 2, GUTTER), layout.width - w - 2);
    if (left < lastRight + 8) continue;
    ctx.textAlign = 'left';
    ctx.fillText(text, left, y);
    lastRight = left + w;
  }
}

/** λmax cells, coloured on the log scale. */
export function drawHeatCells(
  ctx: CanvasRenderingContext2D,
  layout: GridLayout,
  evaluations: readonly EvalColumn[],
  rows: number,
  scale: LambdaScale,
): void {
  const { cellW, rowH } = layout;
  // Whole-pixel cell edges so neighbouring cells neither overlap nor leave hairline gaps.
  layout.columns.forEach((ei, c) => {
    const e = evaluations[ei];
    if (!e) return;
    const x0 = Math.round(GUTTER + c * cellW);
    const x1 = Math.round(GUTTER + (c + 1) * cellW);
    for (let r = 0; r < rows; r++) {
      ctx.fillStyle = scale.colour(e.lambdaMax[r] ?? NaN);
      ctx.fillRect(x0, r * rowH, Math.max(1, x1 - x0), rowH);
    }
  });
}

/** Each pattern drawn on an 8 × 8 tile in the current ink (the legend's CSS follows these). */
const PATTERN_TILES: Readonly<
  Record<CellPattern, ((t: CanvasRenderingContext2D, size: number) => void) | null>
> = {
  none: null,
  hatch: (t, size) => {
    t.beginPath();
    for (const o of [-size, 0, size]) {
      t.moveTo(o, size);
      t.lineTo(o + size, 0);
    }
    t.stroke();
  },
  'back-hatch': (t, size) => {
    t.beginPath();
    for (const o of [-size, 0, size]) {
      t.moveTo(o, 0);
      t.lineTo(o + size, size);
    }
    t.stroke();
  },
  stripes: (t, size) => {
    t.fillRect(0, 1, size, 1.6);
    t.fillRect(0, 5, size, 1.6);
  },
  dots: (t, size) => {
    t.beginPath();
    t.arc(size / 2, size / 2, 1.7, 0, 2 * Math.PI);
    t.fill();
  },
};

/**
 * A context to draw a pattern tile of `size` × `size` on, and what `createPattern` takes to
 * repeat it; null where none can be made (then cells are filled plainly).
 */
export type TileMaker = (size: number) => { ctx: CanvasRenderingContext2D; image: unknown } | null;

/** Tiles on a canvas (the page); none in Node. */
export const canvasTile: TileMaker = (size) => {
  if (typeof document === 'undefined') return null;
  const tile = document.createElement('canvas');
  tile.width = tile.height = size;
  const ctx = tile.getContext('2d');
  return ctx ? { ctx, image: tile } : null;
};

/**
 * The page's patterns, made once: a grid redraws at every commit while training, and a new tile
 * canvas per pattern per redraw was a good part of its cost. A pattern is not tied to the context
 * that made it. Keyed by fill, ink and pattern (a theme change makes new keys; bounded anyway).
 */
const pagePatterns = new Map<string, CanvasPattern>();
const MAX_PAGE_PATTERNS = 64;

/** An 8 × 8 repeating tile for a pattern, in the style's ink on its fill. */
function makePattern(
  ctx: CanvasRenderingContext2D,
  style: CellStyle,
  newTile: TileMaker,
): CanvasPattern | string {
  const draw = PATTERN_TILES[style.pattern];
  if (draw === null) return style.fill;
  if (newTile !== canvasTile) return tilePattern(ctx, style, newTile, draw);
  const key = `${style.fill}|${style.ink}|${style.pattern}`;
  const cached = pagePatterns.get(key);
  if (cached) return cached;
  const made = tilePattern(ctx, style, newTile, draw);
  if (typeof made === 'string') return made;
  if (pagePatterns.size >= MAX_PAGE_PATTERNS) pagePatterns.clear();
  pagePatterns.set(key, made);
  return made;
}

/** Draws the tile and makes its pattern on `ctx`. */
function tilePattern(
  ctx: CanvasRenderingContext2D,
  style: CellStyle,
  newTile: TileMaker,
  draw: (t: CanvasRenderingContext2D, size: number) => void,
): CanvasPattern | string {
  const size = 8;
  const made = newTile(size);
  if (!made) return style.fill;
  const t = made.ctx;
  t.fillStyle = style.fill;
  t.fillRect(0, 0, size, size);
  t.strokeStyle = style.ink;
  t.fillStyle = style.ink;
  t.lineWidth = 1.6;
  draw(t, size);
  return ctx.createPattern(made.image as CanvasImageSource, 'repeat') ?? style.fill;
}

/**
 * Decision cells: fill, pattern, outline and glyph per state (see cell-style.ts). Pattern tiles
 * come from `newTile` (canvases; the SVG export passes its own).
 */
export function drawDecisionCells(
  ctx: CanvasRenderingContext2D,
  layout: GridLayout,
  evaluations: readonly EvalColumn[],
  rows: number,
  newTile: TileMaker = canvasTile,
): void {
  const { cellW, rowH } = layout;
  const fills = new Map<string, CanvasPattern | string>();
  const fillFor = (s: CellStyle) => {
    const key = `${s.fill}|${s.ink}|${s.pattern}`;
    let f = fills.get(key);
    if (f === undefined) {
      f = makePattern(ctx, s, newTile);
      fills.set(key, f);
    }
    return f;
  };
  const big = cellW >= 9 && rowH >= 11;
  ctx.font = `bold ${Math.min(14, rowH - 2)}px system-ui, sans-serif`;
  ctx.textAlign = 'center';
  ctx.textBaseline = 'middle';
  layout.columns.forEach((ei, c) => {
    const e = evaluations[ei];
    if (!e) return;
    const x0 = Math.round(GUTTER + c * cellW);
    const w = Math.max(1, Math.round(GUTTER + (c + 1) * cellW) - x0);
    for (let r = 0; r < rows; r++) {
      const reason = e.reasons[r];
      if (!reason) continue;
      const s = cellStyle(reason);
      const y = r * rowH;
      ctx.fillStyle = fillFor(s);
      ctx.fillRect(x0, y, w, rowH);
      if (s.outline) {
        ctx.fillStyle = s.ink;
        if (big) {
          ctx.strokeStyle = s.ink;
          ctx.lineWidth = 1.5;
          ctx.strokeRect(x0 + 0.75, y + 0.75, w - 1.5, rowH - 1.5);
        } else {
          // Narrow cells: top and bottom edges only, so a run of forced cells reads as one outlined band.
          ctx.fillRect(x0, y, w, 1.5);
          ctx.fillRect(x0, y + rowH - 1.5, w, 1.5);
          // …with a line through it (the glyph's colour), so forced-on differs from plain updated.
          ctx.fillStyle = glyphColour(s);
          ctx.fillRect(x0, y + rowH / 2 - 1, w, 2);
        }
      }
      if (s.glyph && big) {
        ctx.fillStyle = glyphColour(s);
        ctx.fillText(s.glyph, x0 + w / 2, y + rowH / 2 + 0.5);
      }
    }
  });
}
