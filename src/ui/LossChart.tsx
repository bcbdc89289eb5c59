import { useMemo } from 'react';
import {
  CartesianGrid,
  ComposedChart,
  Legend,
  Line,
  ReferenceLine,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import { useShallow } from 'zustand/react/shallow';
import { LOSS_SMOOTHING } from '../store/metrics';
import { useLabStore } from '../store/store';
import { formatCount, formatPercent, formatValue } from '../report/format';
import { lossRows } from './loss-data';
import { lossWords } from './model-words';
import { CHART_A11Y, chartMargin, stepAxis, TOOLTIP_STYLE } from './chart-props';
import { usePalette } from './theme';
import { CHANGE_COLOUR, useChangeMarks } from './change-log';
import { useElementWidth } from './use-element-width';

const HEIGHT = 300;

/** Training loss (raw and smoothed) and the validation metric against the step. */
export function LossChart() {
  const { metrics, validation, model, metric } = useLabStore(
    useShallow((s) => ({
      metrics: s.metrics,
      validation: s.validation,
      model: s.runConfig.model,
      metric: s.metric,
    })),
  );
  const [ref, width] = useElementWidth<HTMLDivElement>();
  const palette = usePalette();
  const marks = useChangeMarks();
  const rows = useMemo(() => lossRows(metrics, validation), [metrics, validation]);
  const isAccuracy = metric.name === 'accuracy';
  const formatMetric = (v: number) => (isAccuracy ? formatPercent(v) : formatValue(v));
  const names: Record<string, string> = {
    raw: 'train loss (raw)',
    ema: `train loss (EMA ${LOSS_SMOOTHING})`,
    val: `validation ${metric.name}`,
  };
  const n = metrics.length;
  const last = n - 1;
  const lastVal = validation.perplexity[validation.perplexity.length - 1];
  const lastValStep = validation.step[validation.step.length - 1];
  return (
    <section className="card" data-testid="chart.loss" aria-labelledby="loss-title">
      <header className="card-head">
        <h2 id="loss-title">Loss</h2>
        <p className="card-sub">
          {lossWords(model)} per step: raw (faint) and an exponential moving average with smoothing{' '}
          {LOSS_SMOOTHING} (bias-corrected). Validation {metric.name} (
          {metric.higherIsBetter ? 'higher' : 'lower'} is better) on the right axis
          {isAccuracy ? '' : ' (log scale)'}.
          {n > 1000 &&
            ' Long runs show each interval’s lowest and highest raw loss, so spikes stay visible.'}
          {marks.length > 0 &&
            ' Dashed pink lines: slider moves and overrides, at the step they took effect (see Changes).'}
        </p>
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
          <dd>{n > 0 ? formatValue(metrics.ema[last] ?? NaN) : '—'}</dd>
        </div>
        <div>
          <dt>validation {metric.name}</dt>
          <dd>
            {lastVal !== undefined ? formatMetric(lastVal) : '—'}
            {lastValStep !== undefined && <small> at step {formatCount(lastValStep)}</small>}
          </dd>
        </div>
      </dl>
      <div
        ref={ref}
        className="chart-box"
        style={{ height: HEIGHT }}
        role={rows.length === 0 ? undefined : 'img'}
        aria-label={
          rows.length === 0
            ? undefined
            : `Loss chart over ${formatCount(n)} steps: latest loss ${formatValue(metrics.loss[last] ?? NaN)}, smoothed ${formatValue(metrics.ema[last] ?? NaN)}${lastVal !== undefined ? `, validation ${metric.name} ${formatMetric(lastVal)}` : ''}.`
        }
      >
        {rows.length === 0 ? (
          <p className="grid-empty">No training step yet: press Play or Step.</p>
        ) : (
          <ComposedChart
            width={width}
            height={HEIGHT}
            data={rows}
            margin={chartMargin(8)}
            {...CHART_A11Y}
          >
            <CartesianGrid stroke={palette.chartGrid} />
            <XAxis {...stepAxis(13)} allowDecimals={false} />
            <YAxis
              yAxisId="loss"
              domain={['auto', 'auto']}
              tickFormatter={(v: number) => formatValue(v, 3)}
              tick={{ fontSize: 13 }}
              width={56}
            />
            <YAxis
              yAxisId="val"
              orientation="right"
              scale={isAccuracy ? 'linear' : 'log'}
              domain={isAccuracy ? [0, 1] : ['auto', 'auto']}
              allowDataOverflow
              tickFormatter={(v: number) => (isAccuracy ? formatPercent(v, 0) : formatValue(v, 3))}
              tick={{ fontSize: 13 }}
              width={64}
            />
            <Tooltip
              {...TOOLTIP_STYLE}
              isAnimationActive={false}
              labelFormatter={(step) => `step ${String(step)}`}
              formatter={(v, name) => [
                typeof v === 'number'
                  ? name === 'val'
                    ? formatMetric(v)
                    : formatValue(v)
                  : String(v),
                names[String(name)] ?? String(name),
              ]}
            />
            <Legend formatter={(name: string) => names[name] ?? name} />
            <Line
              yAxisId="loss"
              dataKey="raw"
              stroke={palette.lossRaw}
              strokeOpacity={0.45}
              strokeWidth={1}
              dot={false}
              isAnimationActive={false}
              connectNulls
            />
            <Line
              yAxisId="loss"
              dataKey="ema"
              stroke={palette.lossEma}
              strokeWidth={2.5}
              dot={false}
              isAnimationActive={false}
              connectNulls
            />
            <Line
              yAxisId="val"
              dataKey="val"
              stroke={palette.valLine}
              strokeWidth={2}
              dot={{ r: 2.5 }}
              isAnimationActive={false}
              connectNulls
            />
            {/* Slider moves and manual overrides, at the step they took effect (change log). */}
            {marks.map((m) => (
              <ReferenceLine
                key={m.step}
                yAxisId="loss"
                x={m.step}
                stroke={CHANGE_COLOUR}
                strokeDasharray="4 3"
                strokeWidth={1.5}
                ifOverflow="extendDomain"
                label={{
                  value: m.label,
                  position: 'insideTopLeft',
                  fontSize: 11,
                  fill: CHANGE_COLOUR,
                }}
              />
            ))}
          </ComposedChart>
        )}
      </div>
    </section>
  );
}
