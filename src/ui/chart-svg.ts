/**
 * A recharts chart (its `<svg>` in the page) as a standalone SVG file, and as PNG. Recharts
 * draws with presentation attributes and CSS (the theme's custom properties, the page's fonts),
 * which a file on its own cannot resolve: every element's computed fill, stroke, opacity, dash,
 * font and anchoring are written onto it as attributes, references to custom properties
 * (`var(--…)`) are replaced by their computed values, and the legend — HTML in recharts — is
 * drawn in SVG under the plot (`legendSvg`). The PNG is that file drawn on a canvas. Page only.
 */
import type { LegendItem } from '../export/svg-doc';
import { legendSvg, svgDocument } from '../export/svg-doc';
import { canvasBlob } from './grid-picture';

/** Computed properties written onto every element (SVG presentation attributes of the same name). */
const INLINED = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-dasharray',
  'opacity',
  'font-family',
  'font-size',
  'font-weight',
  'text-anchor',
  'dominant-baseline',
  'visibility',
] as const;

/** The chart's SVG markup with its styles inlined; the chart's size. */
export function inlineChartSvg(svg: SVGSVGElement): {
  markup: string;
  width: number;
  height: number;
} {
  const clone = svg.cloneNode(true) as SVGSVGElement;
  const from = [svg, ...svg.querySelectorAll('*')];
  const to = [clone, ...clone.querySelectorAll('*')];
  from.forEach((el, i) => {
    const copy = to[i];
    if (!copy) return;
    const style = getComputedStyle(el);
    if (style.display === 'none') {
      copy.remove();
      return;
    }
    for (const prop of INLINED) {
      const v = style.getPropertyValue(prop).trim();
      if (v !== '' && v !== 'normal' && !(prop === 'stroke-dasharray' && v === 'none'))
        copy.setAttribute(prop, v);
    }
    for (const attr of [...copy.attributes]) {
      if (attr.value.includes('var(')) {
        const v = style.getPropertyValue(attr.name).trim();
        if (v) copy.setAttribute(attr.name, v);
        else copy.removeAttribute(attr.name);
      }
    }
    copy.removeAttribute('style');
    copy.removeAttribute('tabindex');
  });
  const box = svg.getBoundingClientRect();
  const width = Number(svg.getAttribute('width')) || box.width;
  const height = Number(svg.getAttribute('height')) || box.height;
  const serializer = new XMLSerializer();
  const markup = [...clone.childNodes].map((n) => serializer.serializeToString(n)).join('');
  return { markup, width, height };
}

/** The chart as a standalone SVG file: title, background, the plot, and `legend` under it. */
export function chartSvgFile(
  svg: SVGSVGElement,
  opts: { title: string; background: string; text: string; legend: readonly LegendItem[] },
): { svg: string; width: number; height: number } {
  const { markup, width, height } = inlineChartSvg(svg);
  // Where recharts put its (HTML) legend: the space it kept for it under the plot.
  const wrapper = svg.parentElement?.querySelector('.recharts-legend-wrapper');
  const top = wrapper
    ? Math.max(0, wrapper.getBoundingClientRect().top - svg.getBoundingClientRect().top)
    : height;
  const legend = legendSvg(opts.legend, 8, Math.min(top, height) + 4, width - 16, opts.text);
  const total = Math.max(height, Math.min(top, height) + 4 + legend.height + 4);
  const file = svgDocument({
    width,
    height: total,
    title: opts.title,
    background: opts.background,
    body: `<g class="plot">${markup}</g>\n${legend.markup}`,
  });
  return { svg: file, width, height: total };
}

/** An SVG file drawn on a canvas at `scale` device pixels per px, as a PNG blob. */
export async function svgToPng(
  svg: string,
  width: number,
  height: number,
  scale = 2,
): Promise<Blob> {
  const url = URL.createObjectURL(new Blob([svg], { type: 'image/svg+xml' }));
  try {
    const img = new Image();
    img.src = url;
    await img.decode();
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    const ctx = canvas.getContext('2d');
    if (!ctx) throw new Error('no 2D canvas to draw the PNG on');
    ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
    return await canvasBlob(canvas);
  } finally {
    URL.revokeObjectURL(url);
  }
}
