/**
 * Axis tick labels drawn as plain SVG text. Recharts' own tick is its `<Text>` with a width, which
 * measures every word of every label in a hidden span (getBoundingClientRect) to wrap it: on the
 * loss chart, redrawn a few times a second while training, each measurement is a forced layout of
 * the whole page (≈ 0.8 s of every 10 s of the main thread on mlp-spiral, measured with the CPU
 * profiler). A tick label here is one short number, never wrapped, so nothing is measured.
 */
import type { ReactElement } from 'react';

/** What recharts passes a custom tick (the parts used here). */
interface TickProps {
  x?: number | string | undefined;
  y?: number | string | undefined;
  payload?: { value?: unknown } | undefined;
  textAnchor?: string | undefined;
  fill?: string | undefined;
  orientation?: string | undefined;
}

/**
 * A `tick` prop for an axis: labels `format(value)` in `fontSize` px, placed as recharts places
 * its own (below an x axis's tick, centred on a y axis's), in the axis's fill colour.
 */
export function plainTick(
  fontSize: number,
  format: (v: number) => string,
): (props: TickProps) => ReactElement {
  return function PlainTick({ x, y, payload, textAnchor, fill, orientation }: TickProps) {
    const v = payload?.value;
    const vertical = orientation === 'left' || orientation === 'right';
    return (
      <text
        x={x}
        y={y}
        dy={vertical ? '0.355em' : '0.71em'}
        textAnchor={textAnchor as 'start' | 'middle' | 'end' | 'inherit' | undefined}
        fill={fill}
        fontSize={fontSize}
        className="recharts-cartesian-axis-tick-value"
      >
        {typeof v === 'number' ? format(v) : String(v ?? '')}
      </text>
    );
  };
}
