/**
 * The report's plots as standalone SVG documents (strings; no DOM, no native dependencies, so
 * the CLI writes them from Node). PNG is not produced: every browser and Markdown viewer shows
 * SVG, and rasterising would need a native library.
 */
import { moduleLabel } from '../core/families/module-kinds';
import { scaleLinear, scaleLog, scaleSequentialLog } from 'd3-scale';
import { interpolateViridis } from 'd3-scale-chromatic';
import type { PolicyName } from '../core/config';
import { getPolicy } from '../core/policies/registry';
import { formatSI } from './format';
import { meanTarget, policyCurves } from './analyse';
import { formatMetric, POLICY_LABELS } from './markdown';
import type { Report } from './schema';

/** A policy's line colour (its `plot`, the same in the lab's report panel). */
const policyColour = (p: PolicyName) => getPolicy(p).plot.colour;

/**
 * A policy's dash pattern as an attribute, so that policies whose curves coincide (everything is
 * updated during the warm-up) stay visible on top of each other.
 */
const dashAttr = (p: PolicyName) => {
  const { dash } = getPolicy(p).plot;
  return dash ? ` stroke-dasharray="${dash}"` : '';
};

/** An axis tick of the metric: accuracy in whole %, perplexity with at most 4 digits. */
const metricTick = (t: number, name: Report['metric']['name']) =>
  name === 'accuracy' ? `${Math.round(t * 100)} %` : String(Number(t.toPrecision(4)));

/** Text content and attribute values, escaped for XML. */
export function xmlEscape(s: string): string {
  return s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&apos;');
}

const n2 = (x: number) => (Math.round(x * 100) / 100).toString();

function svgDoc(width: number, height: number, title: string, body: string[]): string {
  return [
    `<?xml version="1.0" encoding="UTF-8"?>`,
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="system-ui, sans-serif" font-size="12">`,
    `<title>${xmlEscape(title)}</title>`,
    `<rect width="${width}" height="${height}" fill="#ffffff"/>`,
    ...body,
    `</svg>`,
    '',
  ].join('\n');
}

const text = (x: number, y: number, s: string, attrs = '') =>
  `<text x="${n2(x)}" y="${n2(y)}" ${attrs}>${xmlEscape(s)}</text>`;

/** Share of the FLOP axis the zoomed panel leaves out (it shows the rest of the run). */
const ZOOM_FROM = 0.4;

interface Panel {
  x0: number;
  y0: number;
  w: number;
  h: number;
  /** FLOP range shown, and whether only points inside it set the y range. */
  flops: [number, number];
  title: string;
}

/**
 * One panel of the metric-vs-FLOPs plot: grid, ticks, V*, every policy's seeds (faint) and
 * smoothed mean (thick), clipped to the panel. The y range fits the points inside the FLOP
 * range (and V*), so the zoomed panel shows where the policies cross V*.
 */
function metricPanel(report: Report, panel: Panel, id: string): string[] {
  const isAcc = report.metric.name === 'accuracy';
  const curves = policyCurves(report);
  const vstar = meanTarget(report);
  const [f0, f1] = panel.flops;
  const inRange = curves.flatMap((c) =>
    [...c.seeds, c.smoothedMean].flatMap((cv) =>
      cv.metric.filter((v, i) => {
        const f = cv.flops[i] ?? NaN;
        return f >= f0 && f <= f1 && Number.isFinite(v) && (isAcc || v > 0);
      }),
    ),
  );
  if (Number.isFinite(vstar)) inRange.push(vstar);
  const lo = inRange.length > 0 ? Math.min(...inRange) : isAcc ? 0 : 1;
  const hi = inRange.length > 0 ? Math.max(...inRange) : isAcc ? 1 : 2;
  const bottom = panel.y0 + panel.h;
  const right = panel.x0 + panel.w;
  const x = scaleLinear().domain([f0, f1]).range([panel.x0, right]);
  const y = isAcc
    ? scaleLinear()
        .domain([Math.max(0, lo - 0.01), Math.min(1, hi + 0.01)])
        .range([bottom, panel.y0])
        .nice()
    : scaleLog()
        .domain([lo / 1.02, hi * 1.02])
        .range([bottom, panel.y0]);
  const body: string[] = [text(panel.x0, panel.y0 - 8, panel.title, 'fill="#111827"')];
  for (const t of x.ticks(4)) {
    body.push(
      `<line x1="${n2(x(t))}" x2="${n2(x(t))}" y1="${panel.y0}" y2="${bottom}" stroke="#e5e7eb"/>`,
    );
    body.push(text(x(t), bottom + 16, formatSI(t, ''), 'text-anchor="middle" fill="#374151"'));
  }
  const yTicks = y.ticks(6).length > 10 ? y.ticks(3) : y.ticks(6);
  for (const t of yTicks) {
    body.push(
      `<line x1="${panel.x0}" x2="${right}" y1="${n2(y(t))}" y2="${n2(y(t))}" stroke="#e5e7eb"/>`,
    );
    body.push(
      text(
        panel.x0 - 6,
        y(t) + 4,
        metricTick(t, report.metric.name),
        'text-anchor="end" fill="#374151"',
      ),
    );
  }
  body.push(
    `<clipPath id="${id}"><rect x="${panel.x0}" y="${panel.y0}" width="${panel.w}" height="${panel.h}"/></clipPath>`,
  );
  const path = (xs: readonly number[], ys: readonly number[]) =>
    xs
      .map((f, i) => `${i === 0 ? 'M' : 'L'}${n2(x(f))},${n2(y(ys[i] ?? NaN))}`)
      .filter((seg) => !seg.includes('NaN'))
      .join(' ');
  body.push(`<g clip-path="url(#${id})">`);
  if (Number.isFinite(vstar)) {
    body.push(
      `<line x1="${panel.x0}" x2="${right}" y1="${n2(y(vstar))}" y2="${n2(y(vstar))}" stroke="#6b7280" stroke-dasharray="6 4"/>`,
    );
  }
  for (const { policy: p, seeds } of curves) {
    for (const c of seeds) {
      body.push(
        `<path d="${path(c.flops, c.metric)}" fill="none" stroke="${policyColour(p)}" stroke-opacity="0.25" stroke-width="1"${dashAttr(p)}/>`,
      );
    }
  }
  for (const { policy: p, smoothedMean } of curves) {
    body.push(
      `<path d="${path(smoothedMean.flops, smoothedMean.metric)}" fill="none" stroke="${policyColour(p)}" stroke-width="2.5"${dashAttr(p)} data-policy="${p}"/>`,
    );
  }
  body.push('</g>');
  if (Number.isFinite(vstar)) {
    body.push(
      text(
        panel.x0 + 4,
        y(vstar) + 14,
        `V* = ${formatMetric(vstar, report.metric.name)}`,
        'fill="#6b7280"',
      ),
    );
  }
  body.push(
    `<rect x="${panel.x0}" y="${panel.y0}" width="${panel.w}" height="${panel.h}" fill="none" stroke="#9ca3af"/>`,
  );
  return body;
}

/**
 * Validation metric against cumulative charged FLOPs, in two panels: the whole run, and the
 * run from 40 % of the largest FLOP count on with its own y range (where V* is crossed). Per
 * policy the smoothed metric (the trailing mean V* is defined on) averaged over seeds (thick),
 * each seed's raw values (faint), and V* (mean over seeds) dashed. Log y for perplexity.
 */
export function metricVsFlopsSvg(report: Report): string {
  const W = 1040;
  const H = 440;
  const m = { top: 62, bottom: 50, left: 64, gap: 64, legend: 210 };
  const isAcc = report.metric.name === 'accuracy';
  const maxF = Math.max(
    1,
    ...report.runs.flatMap((r) => r.validation.flops.filter((f) => Number.isFinite(f))),
  );
  const pw = (W - m.left - m.gap - m.legend) / 2;
  const ph = H - m.top - m.bottom;
  const body: string[] = [
    text(
      m.left,
      22,
      `${report.preset.id}: validation ${report.metric.name} vs cumulative training FLOPs (mNTK included)`,
      'font-size="14" font-weight="600"',
    ),
    ...metricPanel(
      report,
      { x0: m.left, y0: m.top, w: pw, h: ph, flops: [0, maxF], title: 'whole run' },
      'clip-all',
    ),
    ...metricPanel(
      report,
      {
        x0: m.left + pw + m.gap,
        y0: m.top,
        w: pw,
        h: ph,
        flops: [ZOOM_FROM * maxF, maxF],
        title: `zoom: from ${Math.round(ZOOM_FROM * 100)} % of the largest FLOP count on`,
      },
      'clip-zoom',
    ),
    text(
      m.left + pw + m.gap / 2,
      H - 12,
      'cumulative charged training FLOPs',
      'text-anchor="middle" fill="#111827"',
    ),
    text(
      16,
      m.top + ph / 2,
      `validation ${report.metric.name}${isAcc ? '' : ' (log)'}`,
      `text-anchor="middle" fill="#111827" transform="rotate(-90 16 ${n2(m.top + ph / 2)})"`,
    ),
  ];
  const lx = W - m.legend + 16;
  report.budget.policies.forEach((p, k) => {
    const ly = m.top + 10 + k * 22;
    body.push(
      `<line x1="${lx}" x2="${lx + 24}" y1="${ly}" y2="${ly}" stroke="${policyColour(p)}" stroke-width="2.5"${dashAttr(p)}/>`,
    );
    body.push(text(lx + 30, ly + 4, POLICY_LABELS[p], 'fill="#111827"'));
  });
  const seeds = report.budget.seeds.length;
  const noteY = m.top + 10 + report.budget.policies.length * 22 + 8;
  const notes = [
    `thick: trailing mean of ${report.budget.smoothing.window}`,
    `validations${seeds > 1 ? `, averaged over ${seeds} seeds` : ''}`,
    `faint: raw values${seeds > 1 ? ' per seed' : ''}`,
    'dashed grey: V*',
  ];
  notes.forEach((s, i) => body.push(text(lx, noteY + i * 15, s, 'fill="#6b7280" font-size="11"')));
  return svgDoc(W, H, `${report.preset.id}: validation ${report.metric.name} vs FLOPs`, body);
}

/**
 * λmax of the MAT run (first seed): modules × evaluations on a logarithmic viridis scale; a
 * white dot marks a module not updated after that evaluation.
 */
export function lambdaHeatmapSvg(report: Report): string {
  const run = report.runs.find((r) => r.policy === 'mat' && r.lambda !== null);
  const title = `${report.preset.id}: λmax per module and evaluation (MAT, seed ${run?.seed ?? '—'})`;
  if (!run?.lambda || run.lambda.step.length === 0) {
    return svgDoc(480, 80, title, [text(16, 44, 'No MAT run with evaluations in this report.')]);
  }
  const lam = run.lambda;
  const M = report.modules.length;
  const E = lam.step.length;
  const cell = Math.max(4, Math.min(24, Math.floor(640 / E)));
  const rowH = Math.max(6, Math.min(20, Math.floor(480 / Math.max(1, M))));
  const m = { top: 40, left: 70, right: 110, bottom: 44 };
  // Wide enough for the title and the axis label however few evaluations there are.
  const W = Math.max(680, m.left + E * cell + m.right);
  const H = m.top + M * rowH + m.bottom;
  const positives = lam.lambdaMax
    .flat()
    .filter((v): v is number => v !== null && Number.isFinite(v) && v > 0);
  const lo = positives.length > 0 ? Math.min(...positives) : 1;
  const hi = positives.length > 0 ? Math.max(...positives) : 10;
  const colour = scaleSequentialLog(interpolateViridis).domain([lo, hi > lo ? hi : lo * 10]);
  const body: string[] = [text(m.left, 22, title, 'font-size="14" font-weight="600"')];
  for (let e = 0; e < E; e++) {
    const row = lam.lambdaMax[e] ?? [];
    const upd = lam.updating[e] ?? [];
    for (let i = 0; i < M; i++) {
      const v = row[i];
      const fill =
        v !== null && v !== undefined && Number.isFinite(v) && v > 0 ? colour(v) : '#d1d5db';
      const cx = m.left + e * cell;
      const cy = m.top + i * rowH;
      body.push(
        `<rect x="${cx}" y="${cy}" width="${cell}" height="${rowH}" fill="${fill}"><title>${xmlEscape(`${report.modules[i]?.id ?? i} @ step ${lam.step[e] ?? 0}: λmax ${v ?? 'n/a'}${upd[i] === false ? ' (frozen)' : ''}`)}</title></rect>`,
      );
      if (upd[i] === false) {
        body.push(
          `<circle cx="${n2(cx + cell / 2)}" cy="${n2(cy + rowH / 2)}" r="${n2(Math.min(cell, rowH) / 5)}" fill="#ffffff"/>`,
        );
      }
    }
  }
  report.modules.forEach((mod, i) => {
    body.push(
      text(
        m.left - 6,
        m.top + i * rowH + rowH / 2 + 4,
        moduleLabel(mod),
        'text-anchor="end" font-size="10" fill="#374151"',
      ),
    );
  });
  const every = Math.max(1, Math.ceil(E / 10));
  for (let e = 0; e < E; e += every) {
    body.push(
      text(
        m.left + e * cell + cell / 2,
        m.top + M * rowH + 14,
        String(lam.step[e] ?? ''),
        'text-anchor="middle" font-size="10" fill="#374151"',
      ),
    );
  }
  body.push(
    text(
      m.left,
      H - 10,
      'step of the evaluation (white dot: not updated until the next one)',
      'fill="#111827"',
    ),
  );
  // Legend: a vertical gradient of the log scale with its end values.
  const lx = m.left + E * cell + 24;
  const lh = Math.max(60, M * rowH);
  body.push(`<defs><linearGradient id="lam" x1="0" y1="1" x2="0" y2="0">`);
  for (let k = 0; k <= 10; k++) {
    const v = lo * (hi / lo) ** (k / 10);
    body.push(`<stop offset="${k * 10}%" stop-color="${colour(v)}"/>`);
  }
  body.push(`</linearGradient></defs>`);
  body.push(
    `<rect x="${lx}" y="${m.top}" width="14" height="${lh}" fill="url(#lam)" stroke="#9ca3af"/>`,
  );
  body.push(text(lx + 20, m.top + 10, hi.toExponential(2), 'font-size="10" fill="#374151"'));
  body.push(text(lx + 20, m.top + lh, lo.toExponential(2), 'font-size="10" fill="#374151"'));
  body.push(text(lx, m.top - 6, 'λmax (log)', 'font-size="10" fill="#374151"'));
  return svgDoc(W, H, title, body);
}
