import type { CSSProperties } from 'react';
import type { PolicyName } from '../core/config';
import type { CellPattern, CellStyle } from './cell-style';
import { cellStyle, glyphColour, legendReasons } from './cell-style';
import { Term } from './Term';

/** Each pattern in CSS, as on the canvas (grid-draw.ts), so the legend matches the cells. */
const PATTERN_CSS: Readonly<Record<CellPattern, (ink: string) => CSSProperties>> = {
  none: () => ({}),
  hatch: (ink) => ({
    backgroundImage: `repeating-linear-gradient(-45deg, ${ink} 0 1.6px, transparent 1.6px 5.6px)`,
  }),
  'back-hatch': (ink) => ({
    backgroundImage: `repeating-linear-gradient(45deg, ${ink} 0 1.6px, transparent 1.6px 5.6px)`,
  }),
  stripes: (ink) => ({
    backgroundImage: `repeating-linear-gradient(0deg, transparent 0 2.4px, ${ink} 2.4px 4px)`,
  }),
  dots: (ink) => ({
    backgroundImage: `radial-gradient(${ink} 1.7px, transparent 2px)`,
    backgroundSize: '8px 8px',
  }),
};

function swatchStyle(s: CellStyle): CSSProperties {
  const base: CSSProperties = { backgroundColor: s.fill, color: glyphColour(s) };
  if (s.outline) base.boxShadow = `inset 0 0 0 2px ${s.ink}`;
  return { ...base, ...PATTERN_CSS[s.pattern](s.ink) };
}

export function TimelineLegend({ policy }: { policy: PolicyName }) {
  return (
    <ul className="legend" aria-label="Timeline legend">
      {legendReasons(policy).map((r) => {
        const s = cellStyle(r);
        return (
          <li key={r} className="legend-item">
            <span className="swatch big" style={swatchStyle(s)} aria-hidden="true">
              {s.glyph}
            </span>
            {r === 'warmup' ? <Term term="warmup">{s.legend}</Term> : s.legend}
          </li>
        );
      })}
    </ul>
  );
}
