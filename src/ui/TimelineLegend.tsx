import type { CSSProperties } from 'react';
import type { CellStyle } from './cell-style';
import { cellStyle, glyphColour, legendReasons } from './cell-style';

/** The same pattern as on the canvas, in CSS, so the legend matches the cells. */
function swatchStyle(s: CellStyle): CSSProperties {
  const base: CSSProperties = { backgroundColor: s.fill, color: glyphColour(s) };
  if (s.outline) base.boxShadow = `inset 0 0 0 2px ${s.ink}`;
  if (s.pattern === 'hatch') {
    base.backgroundImage = `repeating-linear-gradient(-45deg, ${s.ink} 0 1.6px, transparent 1.6px 5.6px)`;
  } else if (s.pattern === 'back-hatch') {
    base.backgroundImage = `repeating-linear-gradient(45deg, ${s.ink} 0 1.6px, transparent 1.6px 5.6px)`;
  } else if (s.pattern === 'stripes') {
    base.backgroundImage = `repeating-linear-gradient(0deg, transparent 0 2.4px, ${s.ink} 2.4px 4px)`;
  } else if (s.pattern === 'dots') {
    base.backgroundImage = `radial-gradient(${s.ink} 1.7px, transparent 2px)`;
    base.backgroundSize = '8px 8px';
  }
  return base;
}

export function TimelineLegend({ policy }: { policy: string }) {
  return (
    <ul className="legend" aria-label="Timeline legend">
      {legendReasons(policy).map((r) => {
        const s = cellStyle(r);
        return (
          <li key={r} className="legend-item">
            <span className="swatch big" style={swatchStyle(s)} aria-hidden="true">
              {s.glyph}
            </span>
            {s.label}
          </li>
        );
      })}
    </ul>
  );
}
