/**
 * A module grid (heatmap, timeline) as one picture: the cells, layer lines, row labels, step
 * axis and change marks, drawn by the same functions into any 2D context — the canvas on the
 * page, an offscreen canvas for the PNG export, or an SvgContext for the SVG export — with a
 * legend under it in the exports (the colour bar, or the timeline's states).
 */
import type { PolicyName } from '../core/config';
import { asCanvasContext, SvgContext, svgTile } from '../export/svg-canvas';
import type { TextMeasure } from '../export/svg-canvas';
import type { EvalColumn } from '../store/evaluations-slice';
import { formatValue } from '../report/format';
import { cellStyle, legendReasons } from './cell-style';
import { drawChangeMarks } from './change-log';
import { logTicks } from './colour';
import type { GridLayout } from './grid';
import { GUTTER } from './grid';
import type { GridInk, TileMaker } from './grid-draw';
import {
  axisHeight,
  canvasTile,
  drawDecisionCells,
  drawLayerLines,
  drawRows,
  drawStepAxis,
  fontFor,
} from './grid-draw';

/** Draws the cells of a grid (its pattern tiles from `newTile`). */
export type CellDrawer = (
  ctx: CanvasRenderingContext2D,
  layout: GridLayout,
  newTile: TileMaker,
) => void;

/** Everything a grid's picture is drawn from. */
export interface GridPicture {
  layout: GridLayout;
  drawCells: CellDrawer;
  labels: readonly string[];
  layers: readonly number[];
  evaluations: readonly EvalColumn[];
  ink: GridInk;
  marks: readonly number[];
}

/** Height of the picture without a legend: the cells and the step axis. */
export const pictureHeight = (p: Pick<GridPicture, 'layout' | 'ink'>) =>
  p.layout.height + axisHeight(p.ink.fontPx);

/** The grid into `ctx` (CSS px), as the page's canvas shows it. */
export function drawGrid(
  ctx: CanvasRenderingContext2D,
  p: GridPicture,
  newTile: TileMaker = canvasTile,
): void {
  p.drawCells(ctx, p.layout, newTile);
  drawLayerLines(ctx, p.layout, [...p.layers], p.ink);
  drawRows(ctx, p.layout, [...p.labels], p.ink);
  drawStepAxis(ctx, p.layout, p.evaluations, p.ink);
  drawChangeMarks(ctx, p.layout, p.evaluations, p.marks, p.ink.separator);
}

/** Draws a legend from the top left (`x`, `y`) within `width`; returns the height it took. */
export type LegendDrawer = (
  ctx: CanvasRenderingContext2D,
  x: number,
  y: number,
  width: number,
  newTile: TileMaker,
) => number;

/** The heatmap's colour bar: λmax on its log scale, five ticks, and the no-value swatch. */
export function heatLegend(
  domain: [number, number] | null,
  colour: (v: number) => string,
  noValue: string,
  ink: GridInk,
): LegendDrawer {
  return (ctx, x, y, width) => {
    const font = fontFor(ink.fontPx);
    ctx.font = font;
    ctx.textBaseline = 'middle';
    ctx.textAlign = 'left';
    ctx.fillStyle = ink.text;
    ctx.fillText('λmax (log scale)', x, y + 10);
    if (!domain) return 24;
    const [lo, hi] = domain;
    const barX = x + 120;
    const barW = Math.max(60, Math.min(360, width - 120 - 180));
    const steps = 48;
    for (let i = 0; i < steps; i++) {
      const v = logTicks(lo, hi, steps)[i] ?? lo;
      ctx.fillStyle = colour(v);
      ctx.fillRect(barX + (i * barW) / steps, y + 3, barW / steps + 0.5, 14);
    }
    ctx.fillStyle = ink.muted;
    const ticks = logTicks(lo, hi, 5);
    ticks.forEach((t, i) => {
      ctx.textAlign = i === 0 ? 'left' : i === ticks.length - 1 ? 'right' : 'center';
      ctx.fillText(formatValue(t, 3), barX + (i / (ticks.length - 1)) * barW, y + 28);
    });
    ctx.fillStyle = noValue;
    ctx.fillRect(barX + barW + 16, y + 3, 14, 14);
    ctx.fillStyle = ink.text;
    ctx.textAlign = 'left';
    ctx.fillText('≤ 0 or not a number', barX + barW + 36, y + 10);
    return 40;
  };
}

/** The timeline's states for `policy`: a cell as drawn, then its words, in rows across `width`. */
export function timelineLegend(policy: PolicyName, ink: GridInk): LegendDrawer {
  return (ctx, x, y, width, newTile) => {
    const font = fontFor(ink.fontPx);
    const rowH = 22;
    let cx = x;
    let cy = y;
    for (const reason of legendReasons(policy)) {
      const s = cellStyle(reason);
      ctx.font = font;
      const w = 24 + ctx.measureText(s.legend).width + 18;
      if (cx > x && cx + w > x + width) {
        cx = x;
        cy += rowH;
      }
      // One cell of the state, drawn by the cells' own code.
      const evaluation: EvalColumn = {
        step: 0,
        lambdaMax: new Float64Array(1),
        effRank: new Float64Array(1),
        spectra: null,
        updating: new Uint8Array(1),
        reasons: [reason],
        ms: null,
        amendedAt: null,
      };
      drawCellAt(ctx, cx, cy + 2, evaluation, newTile);
      ctx.font = font;
      ctx.fillStyle = ink.text;
      ctx.textAlign = 'left';
      ctx.textBaseline = 'middle';
      ctx.fillText(s.legend, cx + 24, cy + 11);
      cx += w;
    }
    return cy - y + rowH + 4;
  };
}

/** A single 18 × 18 decision cell with its top left at (x, y), drawn by `drawDecisionCells`. */
function drawCellAt(
  ctx: CanvasRenderingContext2D,
  x: number,
  y: number,
  e: EvalColumn,
  newTile: TileMaker,
): void {
  const size = 18;
  const layout: GridLayout = {
    columns: [0],
    perColumn: 1,
    cellW: size,
    rowH: size,
    width: GUTTER + size,
    height: size,
    rows: 1,
  };
  ctx.save();
  ctx.translate(x - GUTTER, y);
  drawDecisionCells(ctx, layout, [e], 1, newTile);
  ctx.restore();
}

/** A standalone SVG file of the grid with `legend` under it, on `background`. */
export function gridSvg(
  p: GridPicture,
  opts: { title: string; background: string; legend?: LegendDrawer; measure?: TextMeasure },
): string {
  const height = pictureHeight(p);
  const width = p.layout.width;
  const legendH = opts.legend
    ? opts.legend(asCanvasContext(new SvgContext(width, 0, opts.measure)), 0, 0, width, svgTile)
    : 0;
  const ctx = new SvgContext(width, height + (legendH > 0 ? legendH + 8 : 0), opts.measure);
  drawGrid(asCanvasContext(ctx), p, svgTile);
  opts.legend?.(asCanvasContext(ctx), 4, height + 8, width - 8, svgTile);
  return ctx.toSvg(opts.title, opts.background);
}

/**
 * The grid with `legend` under it as a PNG at `scale` device pixels per CSS px: drawn by the same
 * code on an offscreen canvas filled with `background`, then `toBlob`. Page only.
 */
export async function gridPng(
  p: GridPicture,
  opts: { background: string; legend?: LegendDrawer; scale?: number },
): Promise<Blob> {
  const scale = opts.scale ?? 2;
  const width = p.layout.width;
  const height = pictureHeight(p);
  const legendH = opts.legend
    ? opts.legend(asCanvasContext(new SvgContext(width, 0)), 0, 0, width, svgTile)
    : 0;
  const total = height + (legendH > 0 ? legendH + 8 : 0);
  const canvas = document.createElement('canvas');
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(total * scale);
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas to draw the PNG on');
  ctx.setTransform(scale, 0, 0, scale, 0, 0);
  ctx.fillStyle = opts.background;
  ctx.fillRect(0, 0, width, total);
  drawGrid(ctx, p);
  opts.legend?.(ctx, 4, height + 8, width - 8, canvasTile);
  return canvasBlob(canvas);
}

/** A canvas's pixels as a PNG blob. */
export function canvasBlob(canvas: HTMLCanvasElement): Promise<Blob> {
  return new Promise((resolve, reject) =>
    canvas.toBlob(
      (b) => (b ? resolve(b) : reject(new Error('the canvas could not be encoded as PNG'))),
      'image/png',
    ),
  );
}
