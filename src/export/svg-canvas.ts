/**
 * A 2D drawing context that records SVG instead of pixels: the heatmap's and timeline's own
 * canvas drawing code (`ui/grid-draw.ts`, `ui/change-log.ts`) draws into it unchanged, so the
 * SVG file has the same cells, at the same places, as the canvas on screen. It covers what that
 * code uses — fillRect, strokeRect, fillText, measureText, paths of lines and arcs, fill and
 * stroke, patterns made from another SvgContext. The drawing code is typed against
 * CanvasRenderingContext2D (`asCanvasContext`): a call outside this subset would throw (no such
 * method), which the unit tests, drawing the real grids into it, would show.
 *
 * Why not a library: canvas2svg has had no release since 2016, and svgcanvas builds a DOM
 * (document.createElementNS), so the Node unit tests could not run it; the subset here is small.
 */
import { n2, svgDocument, xmlEscape } from './svg-doc';

/** A pattern made by `createPattern` from a tile context: filled as `url(#id)`. */
export class SvgPattern {
  constructor(readonly id: string) {}
}

type Paint = string | SvgPattern;

const paint = (p: unknown): string =>
  p instanceof SvgPattern ? `url(#${p.id})` : typeof p === 'string' ? xmlEscape(p) : 'none';

/** Text width in px for `font`; the page measures with a canvas, Node estimates 0.6 em a character. */
export type TextMeasure = (text: string, font: string) => number;

function defaultMeasure(): TextMeasure {
  if (typeof document !== 'undefined') {
    const ctx = document.createElement('canvas').getContext('2d');
    if (ctx)
      return (text, font) => {
        ctx.font = font;
        return ctx.measureText(text).width;
      };
  }
  return (text, font) => text.length * 0.6 * (Number(/(\d+(?:\.\d+)?)px/.exec(font)?.[1]) || 10);
}

const ANCHOR: Record<string, string> = {
  left: 'start',
  start: 'start',
  center: 'middle',
  right: 'end',
  end: 'end',
};
const BASELINE: Record<string, string | null> = {
  alphabetic: null,
  middle: 'middle',
  top: 'hanging',
  hanging: 'hanging',
  bottom: 'text-after-edge',
  ideographic: 'ideographic',
};

let patternSeq = 0;

export class SvgContext {
  fillStyle: Paint = '#000000';
  strokeStyle: Paint = '#000000';
  lineWidth = 1;
  font = '10px sans-serif';
  textAlign = 'start';
  textBaseline = 'alphabetic';
  /** What `createPattern` reads a tile from: the tile context itself. */
  readonly canvas: { width: number; height: number; svg: SvgContext };
  private readonly parts: string[] = [];
  private readonly defs: string[] = [];
  private path: string[] = [];
  private readonly measure: TextMeasure;
  /** The translation in force (`translate`, `setTransform`). */
  private tx = 0;
  private ty = 0;
  private readonly saved: {
    tx: number;
    ty: number;
    fillStyle: Paint;
    strokeStyle: Paint;
    lineWidth: number;
    font: string;
    textAlign: string;
    textBaseline: string;
  }[] = [];
  private x = (x: number) => n2(x + this.tx);
  private y = (y: number) => n2(y + this.ty);

  constructor(width: number, height: number, measure: TextMeasure = defaultMeasure()) {
    this.canvas = { width, height, svg: this };
    this.measure = measure;
  }

  fillRect(x: number, y: number, w: number, h: number): void {
    this.parts.push(
      `<rect x="${this.x(x)}" y="${this.y(y)}" width="${n2(w)}" height="${n2(h)}" fill="${paint(this.fillStyle)}"/>`,
    );
  }

  strokeRect(x: number, y: number, w: number, h: number): void {
    this.parts.push(
      `<rect x="${this.x(x)}" y="${this.y(y)}" width="${n2(w)}" height="${n2(h)}" fill="none" stroke="${paint(this.strokeStyle)}" stroke-width="${n2(this.lineWidth)}"/>`,
    );
  }

  /** The canvas is cleared before drawing; a recording starts empty. */
  clearRect(): void {}
  /** Only the translation is kept: the exports draw in CSS px. */
  setTransform(_a = 1, _b = 0, _c = 0, _d = 1, e = 0, f = 0): void {
    this.tx = e;
    this.ty = f;
  }
  translate(dx: number, dy: number): void {
    this.tx += dx;
    this.ty += dy;
  }
  save(): void {
    this.saved.push({
      tx: this.tx,
      ty: this.ty,
      fillStyle: this.fillStyle,
      strokeStyle: this.strokeStyle,
      lineWidth: this.lineWidth,
      font: this.font,
      textAlign: this.textAlign,
      textBaseline: this.textBaseline,
    });
  }
  restore(): void {
    const s = this.saved.pop();
    if (s) Object.assign(this, s);
  }

  fillText(text: string, x: number, y: number): void {
    const anchor = ANCHOR[this.textAlign] ?? 'start';
    const baseline = BASELINE[this.textBaseline] ?? null;
    this.parts.push(
      `<text x="${this.x(x)}" y="${this.y(y)}" style="font: ${xmlEscape(this.font)}" text-anchor="${anchor}"${baseline ? ` dominant-baseline="${baseline}"` : ''} fill="${paint(this.fillStyle)}">${xmlEscape(text)}</text>`,
    );
  }

  measureText(text: string): { width: number } {
    return { width: this.measure(text, this.font) };
  }

  beginPath(): void {
    this.path = [];
  }
  moveTo(x: number, y: number): void {
    this.path.push(`M${this.x(x)} ${this.y(y)}`);
  }
  lineTo(x: number, y: number): void {
    this.path.push(`L${this.x(x)} ${this.y(y)}`);
  }
  closePath(): void {
    this.path.push('Z');
  }
  /** A whole circle (the only arc the drawing code makes) or an arc from `a0` to `a1`. */
  arc(cx: number, cy: number, r: number, a0: number, a1: number): void {
    const full = Math.abs(a1 - a0) >= 2 * Math.PI - 1e-9;
    const at = (a: number) => `${this.x(cx + r * Math.cos(a))} ${this.y(cy + r * Math.sin(a))}`;
    if (full) {
      this.path.push(
        `M${at(a0)}`,
        `A${n2(r)} ${n2(r)} 0 1 1 ${at(a0 + Math.PI)}`,
        `A${n2(r)} ${n2(r)} 0 1 1 ${at(a0)}`,
      );
    } else {
      const large = Math.abs(a1 - a0) > Math.PI ? 1 : 0;
      this.path.push(
        `${this.path.length ? 'L' : 'M'}${at(a0)}`,
        `A${n2(r)} ${n2(r)} 0 ${large} 1 ${at(a1)}`,
      );
    }
  }
  fill(): void {
    if (this.path.length)
      this.parts.push(`<path d="${this.path.join(' ')}" fill="${paint(this.fillStyle)}"/>`);
  }
  stroke(): void {
    if (this.path.length)
      this.parts.push(
        `<path d="${this.path.join(' ')}" fill="none" stroke="${paint(this.strokeStyle)}" stroke-width="${n2(this.lineWidth)}"/>`,
      );
  }

  /** A repeating pattern of a tile drawn on another SvgContext (its `canvas`). */
  createPattern(image: unknown): SvgPattern | null {
    const tile = (image as { svg?: unknown } | null)?.svg;
    if (!(tile instanceof SvgContext)) return null;
    const id = `pattern-${++patternSeq}`;
    const { width, height } = tile.canvas;
    this.defs.push(
      `<pattern id="${id}" width="${n2(width)}" height="${n2(height)}" patternUnits="userSpaceOnUse">${tile.parts.join('')}</pattern>`,
      ...tile.defs,
    );
    return new SvgPattern(id);
  }

  /** What was drawn, as markup (without the document around it). */
  body(): string {
    return this.parts.join('\n');
  }

  /** A standalone SVG file of what was drawn, on `background`. */
  toSvg(title: string, background: string, extra = '', extraHeight = 0): string {
    return svgDocument({
      width: this.canvas.width,
      height: this.canvas.height + extraHeight,
      title,
      background,
      defs: this.defs.join('\n'),
      body: this.body() + (extra ? `\n${extra}` : ''),
    });
  }
}

/**
 * The recording context where the drawing code wants a canvas context: it uses only what
 * SvgContext records (see above).
 */
export function asCanvasContext(ctx: SvgContext): CanvasRenderingContext2D {
  return ctx as unknown as CanvasRenderingContext2D;
}

/** A pattern tile for `grid-draw`'s `makePattern`: an SvgContext of `size` × `size`. */
export function svgTile(size: number): { ctx: CanvasRenderingContext2D; image: unknown } {
  const t = new SvgContext(size, size);
  return { ctx: asCanvasContext(t), image: t.canvas };
}
