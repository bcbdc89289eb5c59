import { describe, expect, it } from 'vitest';
import { DECISION_REASONS } from '../core/policies/reasons';
import { checkXml } from '../report/xml-check';
import type { EvalColumn } from '../store/evaluations-slice';
import { cellStyle } from '../ui/cell-style';
import { lambdaScale, positiveRange } from '../ui/colour';
import { GUTTER, gridLayout } from '../ui/grid';
import { DEFAULT_INK, drawDecisionCells, drawHeatCells } from '../ui/grid-draw';
import type { GridPicture } from '../ui/grid-picture';
import { gridSvg, heatLegend, timelineLegend } from '../ui/grid-picture';
import { legendSvg, svgDocument } from './svg-doc';

const ROWS = DECISION_REASONS.length;

/** 30 evaluations; every decision reason in every column, λmax spanning decades, a 0 and a NaN. */
function evaluations(): EvalColumn[] {
  return Array.from({ length: 30 }, (_, c) => {
    const lambdaMax = Float64Array.from({ length: ROWS }, (_, r) => 10 ** ((r + c / 10) / 3));
    if (c === 3) lambdaMax[0] = 0;
    if (c === 4) lambdaMax[1] = NaN;
    return {
      step: c * 2,
      lambdaMax,
      effRank: new Float64Array(ROWS),
      stdErr: null,
      spectra: null,
      updating: new Uint8Array(ROWS),
      reasons: DECISION_REASONS.map((_, r) => DECISION_REASONS[(r + c) % ROWS]!),
      ms: null,
      amendedAt: null,
    };
  });
}

function picture(drawCells: GridPicture['drawCells'], evs: EvalColumn[]): GridPicture {
  return {
    layout: gridLayout(evs.length, ROWS, 640),
    drawCells,
    labels: DECISION_REASONS.map((r, i) => `L0·${r}<${i}>&`),
    layers: DECISION_REASONS.map((_, i) => (i < 4 ? 0 : 1)),
    evaluations: evs,
    ink: DEFAULT_INK,
    marks: [7],
  };
}

/** Well-formed, an SVG root in the SVG namespace, nothing outside the file referred to. */
function expectStandalone(svg: string): void {
  expect(checkXml(svg)).toBe('svg');
  expect(
    svg.startsWith(
      '<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg"',
    ),
  ).toBe(true);
  expect(svg).not.toContain('var(');
  expect(svg).not.toMatch(/href=/);
  const ids = new Set([...svg.matchAll(/ id="([^"]+)"/g)].map((m) => m[1]));
  for (const m of svg.matchAll(/url\(#([^)]+)\)/g))
    expect(ids.has(m[1]), `#${m[1]} defined`).toBe(true);
}

const attr = (x: number) => (Math.round(x * 100) / 100).toString();

describe('grid SVG (the canvas drawing code into an SvgContext)', () => {
  it('the heatmap: every cell a rect where the canvas draws it, in the scale’s colour', () => {
    const evs = evaluations();
    const scale = lambdaScale(positiveRange(evs.map((e) => e.lambdaMax)), '#c7cbd1');
    const p = picture((ctx, layout) => drawHeatCells(ctx, layout, evs, ROWS, scale), evs);
    const svg = gridSvg(p, {
      title: 'λmax heatmap <seed 1>',
      background: '#ffffff',
      legend: heatLegend(scale.domain, scale.colour, '#c7cbd1', DEFAULT_INK),
    });
    expectStandalone(svg);
    expect(svg).toContain('<title>λmax heatmap &lt;seed 1&gt;</title>');
    const { cellW, rowH, columns } = p.layout;
    expect(columns).toHaveLength(30);
    columns.forEach((ei, c) => {
      const x0 = Math.round(GUTTER + c * cellW);
      const w = Math.max(1, Math.round(GUTTER + (c + 1) * cellW) - x0);
      for (let r = 0; r < ROWS; r++) {
        const fill = scale.colour(evs[ei]!.lambdaMax[r]!);
        const rect = `<rect x="${x0}" y="${attr(r * rowH)}" width="${w}" height="${attr(rowH)}" fill="${fill}"/>`;
        expect(svg, `cell ${c}, ${r}`).toContain(rect);
      }
    });
    // The no-value colour for λmax 0 and NaN, the labels escaped, the axis, the legend.
    expect(svg.match(/fill="#c7cbd1"/g)?.length).toBeGreaterThanOrEqual(3);
    expect(svg).toContain('L0·active&lt;');
    expect(svg).toContain('>step</text>');
    expect(svg).toContain('>λmax (log scale)</text>');
    const height = Number(/ height="([\d.]+)"/.exec(svg)?.[1]);
    expect(height).toBeGreaterThan(p.layout.height + 20);
  });

  it('the timeline: patterned states as SVG patterns defined in the file', () => {
    const evs = evaluations();
    const p = picture(
      (ctx, layout, newTile) => drawDecisionCells(ctx, layout, evs, ROWS, newTile),
      evs,
    );
    const svg = gridSvg(p, {
      title: 'timeline',
      background: '#161b22',
      legend: timelineLegend('mat', DEFAULT_INK),
    });
    expectStandalone(svg);
    const patterned = DECISION_REASONS.filter((r) => cellStyle(r).pattern !== 'none');
    expect(patterned.length).toBeGreaterThan(0);
    expect(svg.match(/<pattern /g)?.length ?? 0).toBeGreaterThanOrEqual(patterned.length);
    // Every cell of a patterned state is filled with a pattern.
    const cells = 30 * ROWS;
    const patternedCells = (svg.match(/fill="url\(#pattern-\d+\)"/g) ?? []).length;
    expect(patternedCells).toBeGreaterThanOrEqual((cells * patterned.length) / ROWS);
    expect(svg).toContain('<rect width="640" height=');
    expect(svg).toContain('fill="#161b22"');
    for (const r of ['active', 'forced-on'] as const)
      expect(svg).toContain(`>${cellStyle(r).legend}</text>`);
  });
});

describe('svg-doc', () => {
  it('escapes titles and legend labels and lays long legends out in rows', () => {
    const items = Array.from({ length: 12 }, (_, i) => ({
      label: `run ${i} <"mat" & 'x'>`,
      colour: '#7c3aed',
      dash: i % 2 ? '5 3' : undefined,
    }));
    const legend = legendSvg(items, 0, 100, 400, '#111827');
    expect(legend.height).toBeGreaterThan(18 * 3);
    const svg = svgDocument({
      width: 400,
      height: 100 + legend.height,
      title: 'a & b',
      background: '#fff',
      body: legend.markup,
    });
    expectStandalone(svg);
    expect(svg.match(/<line /g)).toHaveLength(12);
    expect(svg).toContain('run 0 &lt;&quot;mat&quot; &amp; &apos;x&apos;&gt;');
  });
});
