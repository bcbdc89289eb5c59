/** Props the lab's recharts charts share (the loss chart, the drill-down's, the report's). */
import type { ReactNode } from 'react';
import type { XAxisProps, YAxisProps } from 'recharts';
import { formatValue } from '../report/format';

/** The stroke of every chart's grid in the light theme (components use the theme's, `chartGrid`). */
export const GRID_STROKE = '#e5e7eb';

/**
 * Recharts' accessibility layer makes the SVG an unnamed `role="application"` tab stop and its
 * tooltip an assertive live region: off. Each chart sits in a `role="img"` box named with a
 * summary of what it shows instead.
 */
export const CHART_A11Y = { accessibilityLayer: false } as const;

/** Recharts' tooltip box in the theme's colours (CSS custom properties, see styles.css). */
export const TOOLTIP_STYLE = {
  contentStyle: {
    background: 'var(--card)',
    borderColor: 'var(--line)',
    color: 'var(--text)',
  },
  labelStyle: { color: 'var(--text)' },
} as const;

/** A chart's margins: `vertical` above and below, 8 to the right, none to the left. */
export const chartMargin = (vertical: number) => ({
  top: vertical,
  right: 8,
  bottom: vertical,
  left: 0,
});

/**
 * Ticks drawn without measuring their labels. Recharts' default `interval` (`preserveEnd`) sizes
 * every tick label in a hidden span with getBoundingClientRect to drop overlapping ones: on a
 * chart redrawn a few times a second while training, each is a forced layout of the whole page
 * (≈ 0.9 s of every 10 s of the main thread on mlp-spiral, measured with the CPU profiler).
 * Instead every tick is drawn (`interval` 0), and an x axis gets as many as its width has room
 * for: one per 90 px, which fits the widest label ("12.3 GFLOP" at 13 px).
 */
export const unmeasuredTicks = (width: number): Pick<XAxisProps, 'interval' | 'tickCount'> => ({
  interval: 0,
  tickCount: Math.max(2, Math.min(8, Math.floor(width / 90))),
});

/** An x axis over the training steps, from the first to the last, its ticks in `fontSize`. */
export const stepAxis = (fontSize: number, width = 360): XAxisProps => ({
  dataKey: 'step',
  type: 'number',
  domain: ['dataMin', 'dataMax'],
  tick: { fontSize },
  ...unmeasuredTicks(width),
});

/** A y axis of kernel values (eigenvalues, λmax): 2 significant digits, 12 px ticks. */
export const kernelValueAxis: YAxisProps = {
  tickFormatter: (v: number) => formatValue(v, 2),
  tick: { fontSize: 12 },
  width: 56,
  interval: 0,
};

/** A tooltip that shows a value as `name` and its label as `label` gives it. */
export const valueTooltip = (name: string, label: (label: ReactNode) => string) => ({
  ...TOOLTIP_STYLE,
  isAnimationActive: false,
  formatter: (v: unknown): [string, string] => [
    typeof v === 'number' ? formatValue(v) : String(v),
    name,
  ],
  labelFormatter: label,
});
