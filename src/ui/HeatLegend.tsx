import { NO_VALUE_COLOUR, logTicks } from './colour';
import { formatValue } from '../report/format';

interface Props {
  domain: [number, number] | null;
  colour: (v: number) => string;
  /** Colour of values the log scale cannot place (the theme's). */
  noValue?: string;
}

/** The λmax colour bar with its numeric range (log-spaced ticks). */
export function HeatLegend({ domain, colour, noValue = NO_VALUE_COLOUR }: Props) {
  if (!domain)
    return <p className="legend muted">Colour scale appears with the first evaluation.</p>;
  const [lo, hi] = domain;
  const stops = logTicks(lo, hi, 12).map((v, i) => `${colour(v)} ${((i / 11) * 100).toFixed(1)}%`);
  const ticks = logTicks(lo, hi, 5);
  return (
    <div
      className="legend heat-legend"
      role="group"
      aria-label={`λmax colour scale from ${formatValue(lo)} to ${formatValue(hi)}, logarithmic`}
    >
      <span className="legend-title">λmax (log scale)</span>
      <div className="colourbar-wrap">
        <div
          className="colourbar"
          style={{ background: `linear-gradient(to right, ${stops.join(', ')})` }}
        />
        <div className="colourbar-ticks">
          {ticks.map((t, i) => (
            <span key={i} style={{ left: `${(i / (ticks.length - 1)) * 100}%` }}>
              {formatValue(t, 3)}
            </span>
          ))}
        </div>
      </div>
      <span className="legend-item">
        <span className="swatch" style={{ background: noValue }} /> ≤ 0 or not a number
      </span>
    </div>
  );
}
