import { CartesianGrid, Legend, Line, LineChart, ReferenceLine, XAxis, YAxis } from 'recharts';
import { getPolicy } from '../core/policies/registry';
import { formatFlops, formatPercent } from '../report/format';
import type { ChartSeries } from './report-view';
import { metricDomain } from './report-view';
import { CHART_A11Y } from './chart-props';
import { staticLine } from './chart-line';
import { usePalette } from './theme';
import { useElementWidth } from './use-element-width';

const HEIGHT = 320;

/**
 * Validation metric against cumulative charged FLOPs, one line per series (report policies and,
 * when comparable, the lab's run); V* as a dashed reference line. Log scale for perplexity.
 */
export function ReportChart({
  series,
  accuracy,
  target,
}: {
  series: ChartSeries[];
  accuracy: boolean;
  target: number;
}) {
  const [ref, width] = useElementWidth<HTMLDivElement>();
  const domain = metricDomain(series, accuracy, target);
  const order = new Map(series.map((s, i) => [s.label, i]));
  const palette = usePalette();
  return (
    <div
      ref={ref}
      className="chart-box"
      style={{ height: HEIGHT }}
      data-testid="chart.report"
      role="img"
      aria-label={`Validation ${accuracy ? 'accuracy' : 'perplexity'} against charged FLOPs for ${series.map((s) => s.label).join(', ')}`}
    >
      <LineChart
        width={width}
        height={HEIGHT}
        margin={{ top: 8, right: 16, bottom: 8, left: 0 }}
        {...CHART_A11Y}
      >
        <CartesianGrid stroke={palette.chartGrid} />
        <XAxis
          dataKey="flops"
          type="number"
          domain={[0, 'dataMax']}
          tickFormatter={(v: number) => formatFlops(v)}
          tick={{ fontSize: 12 }}
          allowDuplicatedCategory={false}
        />
        <YAxis
          dataKey="metric"
          scale={accuracy ? 'linear' : 'log'}
          domain={domain}
          allowDataOverflow
          tickFormatter={(v: number) =>
            accuracy ? formatPercent(v, 0) : String(Number(v.toPrecision(3)))
          }
          tick={{ fontSize: 12 }}
          width={64}
        />
        {Number.isFinite(target) && (
          <ReferenceLine y={target} stroke={palette.reference} strokeDasharray="6 4" />
        )}
        {/* In series order (vanilla, MAT, random, progressive, lab), not by name. */}
        <Legend itemSorter={(item) => order.get(String(item.value)) ?? series.length} />
        {series.map((s) => (
          <Line
            key={s.key}
            data={s.points}
            dataKey="metric"
            name={s.label}
            stroke={s.policy === 'lab' ? palette.text : getPolicy(s.policy).plot.colour}
            strokeDasharray={s.policy === 'lab' ? '0' : getPolicy(s.policy).plot.dash || '0'}
            strokeWidth={2.5}
            dot={s.policy === 'lab' ? { r: 2.5 } : false}
            isAnimationActive={false}
            shape={staticLine}
          />
        ))}
      </LineChart>
    </div>
  );
}
