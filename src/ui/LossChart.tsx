import { useCallback, useDeferredValue, useId, useMemo, useState } from 'react';
import { CartesianGrid, ComposedChart, Line, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { getPolicy } from '../core/policies/registry';
import { metricsCsv } from '../export/csv';
import type { LegendItem } from '../export/svg-doc';
import {
  LIVE_KEY,
  runCurves,
  runSummary,
  setChartX,
  setLogLoss,
  setSmoothing,
} from '../store/run-list';
import type { ChartX, RunCurve } from '../store/runs-slice';
import { MAX_CHART_POINTS } from '../store/metrics';
import { useLabStore } from '../store/store';
import { formatCount, formatFlops, formatPercent, formatValue } from '../report/format';
import type { LossRow, OverlayPoint } from './loss-data';
import { lossRows, overlayPoints } from './loss-data';
import { lossWords } from './model-words';
import { CHART_A11Y, chartMargin, TOOLTIP_STYLE, unmeasuredTicks } from './chart-props';
import { plainTick } from './chart-ticks';
import { overlayColour, usePalette } from './theme';
import { CHANGE_COLOUR, useChangeMarks } from './change-log';
import { useElementWidth } from './use-element-width';
import { smoothTensorBoard, SMOOTHING_MAX, SMOOTHING_MIN } from './smoothing';
import { ExportButtons } from './ExportButtons';
import { downloadBlob, downloadText, exportFileName } from './download';
import { chartSvgFile, svgToPng } from './chart-svg';
import { staticLine } from './chart-line';

const HEIGHT = 300;
/**
 * Validation points are dotted while they are few enough to pick out; past that each dot is an
 * SVG element redrawn at every push (a small model evaluates hundreds of times in a minute), and
 * the line alone reads as well.
 */
const MAX_DOTTED = 30;
/** The dot of a validation line with `n` points: `dot` while they are few, none past that. */
const valDot = (n: number, dot: { r: number }) => (n <= MAX_DOTTED ? dot : false);
/*
 * Props given to recharts as objects are made once: recharts copies its children's props into
 * its own store in effects, and a new object (the same values) at every redraw is a dispatch and
 * a recomputation of what depends on it, while training, several times a second.
 */
const LIVE_DOT = { r: 2.5 };
const OVERLAY_DOT = { r: 2 };
const MARGIN = chartMargin(8);
const X_DOMAIN: [string, string] = ['dataMin', 'dataMax'];
const AUTO_DOMAIN: [string, string] = ['auto', 'auto'];
const UNIT_DOMAIN: [number, number] = [0, 1];
/**
 * Points per line for a chart `width` px wide: about one per pixel of the plot (the two y axes
 * and margins take ≈ 140 px), so a min–max bucket spans two pixels and every spike still shows;
 * fewer points than the exports' {@link MAX_CHART_POINTS} keep each redraw short.
 */
const chartPoints = (width: number) =>
  Math.min(MAX_CHART_POINTS, Math.max(200, Math.round(width - 140)));

/** One overlaid run's lines: its loss (smoothed) and its validation metric. */
interface Overlay {
  key: string;
  name: string;
  colour: string;
  loss: OverlayPoint[];
  val: OverlayPoint[];
  /** Its validation metric is not the current run's (another family): not drawn. */
  otherMetric: boolean;
}

/** What an overlaid run's two lines (its loss and its validation metric) have in common. */
const overlayLine = (o: Overlay) =>
  ({
    dataKey: 'v',
    stroke: o.colour,
    strokeWidth: 2,
    isAnimationActive: false,
    shape: staticLine,
    connectNulls: true,
    className: `overlay-line overlay-${o.key}`,
  }) as const;

/** The overlay key of the second run (Live A/B); run ids are `run-<seq>`, the live one `live`. */
const COMPARE_OVERLAY = 'compare';

/**
 * The second run (Live A/B) and the runs ticked in the run list, as chart lines in the chart's
 * x and y scales.
 */
function useOverlays(smoothing: number, logLoss: boolean, x: ChartX, maxPoints: number): Overlay[] {
  const { runs, overlaid, stash, metricName, compareRun, view } = useLabStore(
    useShallow((s) => ({
      runs: s.runs,
      overlaid: s.overlaid,
      stash: s.stash,
      metricName: s.metric.name,
      compareRun: s.compareRun,
      view: s.view,
    })),
  );
  const palette = usePalette();
  return useMemo(() => {
    const out: Overlay[] = [];
    const add = (
      key: string,
      name: string,
      colour: string,
      loss: RunCurve | null,
      validation: RunCurve,
      metric: string,
    ) => {
      const otherMetric = metric !== metricName;
      const needFlops = x === 'flops';
      out.push({
        key,
        name,
        colour,
        loss: loss
          ? overlayPoints(loss, 'v', smoothing, { positiveOnly: logLoss, needFlops, maxPoints })
          : [],
        val: otherMetric ? [] : overlayPoints(validation, 'v', 0, { needFlops, maxPoints }),
        otherMetric,
      });
    };
    // Arm B beside the live run (not over an imported run: it is the live run's partner).
    if (compareRun && view === 'live') {
      const { loss, validation } = runCurves(compareRun);
      const policy = getPolicy(compareRun.runConfig.policy);
      add(
        COMPARE_OVERLAY,
        `B · ${policy.label} (Live A/B)`,
        policy.plot.colour,
        loss,
        validation,
        compareRun.metric.name,
      );
    }
    for (const id of overlaid) {
      if (id === LIVE_KEY) {
        if (!stash) continue;
        const { loss, validation } = runCurves(stash);
        add(
          LIVE_KEY,
          `${runSummary(stash).name} (live)`,
          palette.text,
          loss,
          validation,
          stash.metric.name,
        );
        continue;
      }
      const r = runs.find((e) => e.id === id);
      if (r) add(r.id, r.name, overlayColour(palette, r.seq), r.loss, r.validation, r.metric.name);
    }
    return out;
  }, [
    runs,
    overlaid,
    stash,
    metricName,
    compareRun,
    view,
    palette,
    smoothing,
    logLoss,
    x,
    maxPoints,
  ]);
}

/**
 * Training loss (raw and smoothed) and the validation metric against the step or the cumulative
 * charged FLOPs, with the runs ticked in the run list drawn over it; a TensorBoard smoothing
 * slider, a log / linear loss axis, and the chart and the run's metrics as files.
 */
/** The axes' tick labels, unmeasured (`chart-ticks.tsx`); made once, so recharts keeps them. */
const STEP_TICK = plainTick(13, formatCount);
const FLOPS_TICK = plainTick(13, (v) => formatFlops(v));
/** The loss axis and a perplexity axis: 3 significant digits. */
const valueTick = plainTick(13, (v) => formatValue(v, 3));
const accuracyTick = plainTick(13, (v) => formatPercent(v, 0));

export function LossChart() {
  // Not the step counter: it changes every step, and the chart redraws at each metrics push.
  // Drawn from a deferred copy: React renders the new chart in the background, in slices that
  // leave the main thread free (sliders, Pause, the step counter answer at once), and shows it
  // when done; the chart element itself is memoised below, so the urgent render costs nothing.
  const { metrics, validation, model, metric } = useDeferredValue(
    useLabStore(
      useShallow((s) => ({
        metrics: s.metrics,
        validation: s.validation,
        model: s.runConfig.model,
        metric: s.metric,
      })),
    ),
  );
  const {
    chartX: x,
    smoothing,
    logLoss,
  } = useLabStore(
    useShallow((s) => ({ chartX: s.chartX, smoothing: s.smoothing, logLoss: s.logLoss })),
  );
  const [ref, width] = useElementWidth<HTMLDivElement>();
  const palette = usePalette();
  const marks = useChangeMarks();
  const points = chartPoints(width);
  const overlays = useOverlays(smoothing, logLoss, x, points);
  const ids = { slider: useId(), x: useId() };
  const smoothed = useMemo(
    () => smoothTensorBoard(metrics.loss.subarray(0, metrics.length), smoothing),
    [metrics, smoothing],
  );
  const rows = useMemo(() => {
    const all = lossRows(metrics, validation, points, smoothed);
    const keep = (r: LossRow): LossRow => {
      if (!logLoss) return r;
      const out = { ...r };
      if (out.raw !== undefined && !(out.raw > 0)) delete out.raw;
      if (out.ema !== undefined && !(out.ema > 0)) delete out.ema;
      return out;
    };
    return (x === 'flops' ? all.filter((r) => r.flops !== undefined) : all).map(keep);
  }, [metrics, validation, smoothed, x, logLoss, points]);
  // Change marks sit at their step; on the FLOP axis at the FLOPs spent by then.
  const markX = useMemo(() => {
    const tag = (label: string) => ({
      value: label,
      position: 'insideTopLeft' as const,
      fontSize: 11,
      fill: CHANGE_COLOUR,
    });
    if (x === 'step')
      return marks.map((m) => ({ ...m, at: m.step as number | undefined, tag: tag(m.label) }));
    const at = new Map(rows.map((r) => [r.step, r.flops]));
    return marks.map((m) => ({ ...m, at: at.get(m.step), tag: tag(m.label) }));
  }, [marks, rows, x]);
  // The validation line draws from its own rows: the chart's rows have one per pixel, most
  // without a validation value, and recharts maps every row of a line's data at each redraw
  // (its dots, when shown, are an element per row, drawn or not).
  const valRows = useMemo(() => rows.filter((r) => r.val !== undefined), [rows]);
  const isAccuracy = metric.name === 'accuracy';
  const formatMetric = useCallback(
    (v: number) => (isAccuracy ? formatPercent(v) : formatValue(v)),
    [isAccuracy],
  );
  const names = useMemo(() => {
    const out: Record<string, string> = {
      raw: 'train loss (raw)',
      ema: `train loss (smoothed ${smoothing})`,
      val: `validation ${metric.name}`,
    };
    for (const o of overlays) {
      out[`${o.key}:loss`] = `${o.name}: train loss`;
      out[`${o.key}:val`] = `${o.name}: validation ${metric.name}`;
    }
    return out;
  }, [smoothing, metric.name, overlays]);
  const n = metrics.length;
  const last = n - 1;
  const lastVal = validation.perplexity[validation.perplexity.length - 1];
  const lastValStep = validation.step[validation.step.length - 1];
  const lastSmoothed = n > 0 ? (smoothed[last] ?? NaN) : NaN;
  const xName = x === 'step' ? 'step' : 'charged FLOPs';
  const formatX = useCallback((v: number) => (x === 'step' ? formatCount(v) : formatFlops(v)), [x]);
  const xTick = x === 'step' ? STEP_TICK : FLOPS_TICK;
  const otherMetric = overlays.filter((o) => o.otherMetric).map((o) => o.name);
  const hasChart = rows.length > 0 || overlays.some((o) => o.loss.length + o.val.length > 0);

  // Recharts' tooltip only while the pointer is over the chart: mounted, it subscribes to the
  // chart's store and recomputes what it would show at every redraw, shown or not.
  const [pointing, setPointing] = useState(false);
  const legendItems = (): LegendItem[] => [
    { label: names.raw ?? '', colour: palette.lossRaw, opacity: 0.45 },
    { label: names.ema ?? '', colour: palette.lossEma },
    { label: names.val ?? '', colour: palette.valLine },
    ...overlays.flatMap((o): LegendItem[] => [
      ...(o.loss.length > 0 ? [{ label: names[`${o.key}:loss`] ?? '', colour: o.colour }] : []),
      ...(o.val.length > 0
        ? [{ label: names[`${o.key}:val`] ?? '', colour: o.colour, dash: '5 3' }]
        : []),
    ]),
  ];
  /** Seed and step of the run on screen, for file names (read when a file is made). */
  const tag = () => {
    const st = useLabStore.getState();
    return { seed: st.runConfig.seed, step: st.step };
  };
  const chartFile = () => {
    const { seed, step } = tag();
    const svg = ref.current?.querySelector<SVGSVGElement>(
      '.recharts-wrapper > svg.recharts-surface',
    );
    // The plot's own surface (the legend's icons are small surfaces of their own).
    if (!svg) throw new Error('the chart has not been drawn yet');
    return chartSvgFile(svg, {
      title: `MAT Lab: loss and validation ${metric.name} against ${xName}, seed ${seed}, step ${step}`,
      background: palette.card,
      text: palette.text,
      legend: legendItems(),
    });
  };
  const exports = [
    {
      label: 'CSV',
      name: 'Download the run’s metrics (loss, FLOPs, ms, validation per step) as CSV',
      testId: 'export.metrics.csv',
      disabled: n === 0 && validation.step.length === 0,
      run: () => {
        const s = useLabStore.getState();
        const { seed, step } = tag();
        downloadText(
          exportFileName('metrics', seed, step, 'csv'),
          metricsCsv({
            metrics: s.metrics,
            validation: s.validation,
            stepTiming: s.stepTiming,
            metric: s.metric,
          }),
          'text/csv',
        );
      },
    },
    {
      label: 'PNG',
      name: 'Download the loss chart as PNG',
      testId: 'export.loss.png',
      disabled: !hasChart,
      run: async () => {
        const { seed, step } = tag();
        const f = chartFile();
        downloadBlob(
          exportFileName('loss', seed, step, 'png'),
          await svgToPng(f.svg, f.width, f.height),
        );
      },
    },
    {
      label: 'SVG',
      name: 'Download the loss chart as SVG',
      testId: 'export.loss.svg',
      disabled: !hasChart,
      run: () => {
        const { seed, step } = tag();
        downloadText(exportFileName('loss', seed, step, 'svg'), chartFile().svg, 'image/svg+xml');
      },
    },
  ];

  const tooltipLabel = useCallback(
    (v: unknown) => `${xName} ${typeof v === 'number' ? formatX(v) : String(v)}`,
    [xName, formatX],
  );
  const tooltipValue = useCallback(
    (v: unknown, name: unknown): [string, string] => [
      typeof v === 'number'
        ? String(name).endsWith('val')
          ? formatMetric(v)
          : formatValue(v)
        : String(v),
      names[String(name)] ?? String(name),
    ],
    [formatMetric, names],
  );
  // The chart as one element, remade only when what it draws changes: React skips an element it
  // has already rendered, so the urgent render (the deferred data still the old) costs nothing.
  const plot = useMemo(
    () => (
      <ComposedChart width={width} height={HEIGHT} data={rows} margin={MARGIN} {...CHART_A11Y}>
        <CartesianGrid stroke={palette.chartGrid} />
        <XAxis
          dataKey={x}
          type="number"
          domain={X_DOMAIN}
          tick={xTick}
          allowDecimals={x === 'flops'}
          {...unmeasuredTicks(width)}
        />
        <YAxis
          yAxisId="loss"
          scale={logLoss ? 'log' : 'auto'}
          domain={AUTO_DOMAIN}
          allowDataOverflow={logLoss}
          tick={valueTick}
          width={56}
          interval={0}
        />
        <YAxis
          yAxisId="val"
          orientation="right"
          scale={isAccuracy ? 'linear' : 'log'}
          domain={isAccuracy ? UNIT_DOMAIN : AUTO_DOMAIN}
          allowDataOverflow
          tick={isAccuracy ? accuracyTick : valueTick}
          width={64}
          interval={0}
        />
        {pointing && (
          <Tooltip
            {...TOOLTIP_STYLE}
            isAnimationActive={false}
            labelFormatter={tooltipLabel}
            formatter={tooltipValue}
          />
        )}
        <Line
          yAxisId="loss"
          dataKey="raw"
          stroke={palette.lossRaw}
          strokeOpacity={0.45}
          strokeWidth={1}
          dot={false}
          isAnimationActive={false}
          shape={staticLine}
          connectNulls
        />
        <Line
          yAxisId="loss"
          dataKey="ema"
          stroke={palette.lossEma}
          strokeWidth={2.5}
          dot={false}
          isAnimationActive={false}
          shape={staticLine}
          connectNulls
        />
        <Line
          yAxisId="val"
          data={valRows}
          dataKey="val"
          stroke={palette.valLine}
          strokeWidth={2}
          dot={valDot(valRows.length, LIVE_DOT)}
          isAnimationActive={false}
          shape={staticLine}
        />
        {overlays.flatMap((o) => [
          o.loss.length > 0 && (
            <Line
              key={`${o.key}:loss`}
              name={`${o.key}:loss`}
              data={o.loss}
              yAxisId="loss"
              dot={false}
              {...overlayLine(o)}
            />
          ),
          o.val.length > 0 && (
            <Line
              key={`${o.key}:val`}
              name={`${o.key}:val`}
              data={o.val}
              yAxisId="val"
              strokeDasharray="5 3"
              dot={valDot(o.val.length, OVERLAY_DOT)}
              {...overlayLine(o)}
            />
          ),
        ])}
        {/* Slider moves and manual overrides, at the step they took effect (change log). */}
        {markX.map((m) =>
          m.at === undefined ? null : (
            <ReferenceLine
              key={m.step}
              yAxisId="loss"
              x={m.at}
              stroke={CHANGE_COLOUR}
              strokeDasharray="4 3"
              strokeWidth={1.5}
              ifOverflow="extendDomain"
              label={m.tag}
            />
          ),
        )}
      </ComposedChart>
    ),
    [
      width,
      rows,
      x,
      xTick,
      logLoss,
      isAccuracy,
      palette,
      overlays,
      markX,
      valRows,
      tooltipLabel,
      tooltipValue,
      pointing,
    ],
  );

  return (
    <section className="card" data-testid="chart.loss" aria-labelledby="loss-title">
      <header className="card-head">
        <h2 id="loss-title">Loss</h2>
        <p className="card-sub">
          {lossWords(model)} per step: raw (faint) and smoothed as TensorBoard does (an exponential
          moving average, debiased, weight {smoothing}). Validation {metric.name} (
          {metric.higherIsBetter ? 'higher' : 'lower'} is better) on the right axis
          {isAccuracy ? '' : ' (log scale)'}.
          {n > 1000 &&
            ' Long runs show each interval’s lowest and highest raw loss, so spikes stay visible.'}
          {marks.length > 0 &&
            ' Dashed pink lines: slider moves and overrides, at the step they took effect (see Changes).'}
          {overlays.some((o) => o.key === COMPARE_OVERLAY) &&
            ' The second run of the Live A/B is drawn in its policy’s colour.'}
          {overlays.some((o) => o.key !== COMPARE_OVERLAY) &&
            ' Runs ticked in the run list are drawn in their colours: loss solid, validation dashed.'}
          {otherMetric.length > 0 &&
            ` Not drawn: the validation of ${otherMetric.join(', ')} (another metric).`}
        </p>
        <ExportButtons label="Export the loss chart and metrics" items={exports} />
      </header>
      <dl className="readouts">
        <div>
          <dt>step</dt>
          <dd>{n > 0 ? formatCount(metrics.steps[last] ?? 0) : '—'}</dd>
        </div>
        <div>
          <dt>loss</dt>
          <dd>{n > 0 ? formatValue(metrics.loss[last] ?? NaN) : '—'}</dd>
        </div>
        <div>
          <dt>smoothed</dt>
          <dd>{n > 0 ? formatValue(lastSmoothed) : '—'}</dd>
        </div>
        <div>
          <dt>validation {metric.name}</dt>
          <dd>
            {lastVal !== undefined ? formatMetric(lastVal) : '—'}
            {lastValStep !== undefined && <small> at step {formatCount(lastValStep)}</small>}
          </dd>
        </div>
      </dl>
      <div className="chart-options" data-testid="loss.options">
        <fieldset>
          <legend id={ids.x}>x axis</legend>
          {(['step', 'flops'] as const).map((v) => (
            <label key={v}>
              <input
                type="radio"
                name={ids.x}
                value={v}
                checked={x === v}
                data-testid={`loss.x.${v}`}
                onChange={() => setChartX(v)}
              />{' '}
              {v === 'step' ? 'steps' : 'cumulative FLOPs'}
            </label>
          ))}
        </fieldset>
        <label htmlFor={ids.slider}>smoothing</label>
        <input
          id={ids.slider}
          type="range"
          min={SMOOTHING_MIN}
          max={SMOOTHING_MAX}
          step={0.001}
          value={smoothing}
          data-testid="loss.smoothing"
          onChange={(e) => setSmoothing(Number(e.currentTarget.value))}
        />
        <output htmlFor={ids.slider}>{smoothing.toFixed(3)}</output>
        <label>
          <input
            type="checkbox"
            checked={logLoss}
            data-testid="loss.log"
            onChange={(e) => setLogLoss(e.currentTarget.checked)}
          />{' '}
          log loss axis
        </label>
      </div>
      <div
        ref={ref}
        className="chart-box"
        style={{ height: HEIGHT }}
        onPointerEnter={() => setPointing(true)}
        onPointerLeave={() => setPointing(false)}
        role={hasChart ? 'img' : undefined}
        aria-label={
          hasChart
            ? `Loss chart over ${formatCount(n)} steps against ${xName}: latest loss ${formatValue(metrics.loss[last] ?? NaN)}, smoothed ${formatValue(lastSmoothed)}${lastVal !== undefined ? `, validation ${metric.name} ${formatMetric(lastVal)}` : ''}${overlays.length > 0 ? `; ${overlays.length} other run${overlays.length > 1 ? 's' : ''} drawn over it: ${overlays.map((o) => o.name).join(', ')}` : ''}.`
            : undefined
        }
      >
        {!hasChart && (
          <p className="grid-empty chart-empty">No training step yet: press Play or Step.</p>
        )}
        {/* Mounted before the first step, hidden: recharts' first mount is its costliest render
            (hundreds of milliseconds on a slow machine), better paid with the page than when
            training starts. */}
        <div className={hasChart ? undefined : 'chart-idle'} aria-hidden={!hasChart}>
          {plot}
        </div>
      </div>
      {hasChart && (
        // The key in HTML rather than recharts' Legend, which measures itself and dispatches
        // into the chart's store at every redraw; the same items as the exports' legend.
        <ul className="chart-legend" aria-label="Lines of the loss chart">
          {legendItems().map((item) => (
            <li key={item.label}>
              <svg width="20" height="10" aria-hidden="true">
                <line
                  x1="0"
                  y1="5"
                  x2="20"
                  y2="5"
                  stroke={item.colour}
                  strokeOpacity={item.opacity ?? 1}
                  strokeWidth="2.5"
                  strokeDasharray={item.dash}
                />
              </svg>
              {item.label}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
