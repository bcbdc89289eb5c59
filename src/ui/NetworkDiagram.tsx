import { useShallow } from 'zustand/react/shallow';
import type { DecisionReason } from '../core/types';
import { selectModule } from '../store/actions';
import { REASON_WORDS } from '../store/selectors';
import { useLabStore } from '../store/store';
import type { CellPattern } from './cell-style';
import { CELL_STYLES } from './cell-style';
import { networkLayout } from './network-layout';
import { usePalette } from './theme';

/** SVG fill patterns matching the timeline's (states differ by pattern, not colour alone). */
function patternShape(p: CellPattern, ink: string) {
  switch (p) {
    case 'hatch':
      return <path d="M-1,1 l2,-2 M0,6 l6,-6 M5,7 l2,-2" stroke={ink} strokeWidth={1.2} />;
    case 'back-hatch':
      return <path d="M-1,5 l2,2 M0,0 l6,6 M5,-1 l2,2" stroke={ink} strokeWidth={1.2} />;
    case 'dots':
      return <circle cx={3} cy={3} r={1.1} fill={ink} />;
    case 'stripes':
      return <path d="M0,3 h6" stroke={ink} strokeWidth={1.2} />;
    case 'none':
      return null;
  }
}

const fillFor = (reason: DecisionReason) =>
  CELL_STYLES[reason].pattern === 'none' ? CELL_STYLES[reason].fill : `url(#net-${reason})`;

/**
 * The MLP as a Playground-style diagram: inputs, every hidden neuron (a MAT module) drawn in
 * its current decision's style — updated solid, frozen hatched/dotted/striped — and the outputs.
 * Click a neuron for its kernel details.
 */
export function NetworkDiagram({ classes }: { classes: number }) {
  const s = useLabStore(
    useShallow((st) => ({
      modules: st.modules,
      decisions: st.decisions,
      features: st.runConfig.features,
      selected: st.selectedModule,
    })),
  );
  const palette = usePalette();
  const hidden: number[] = [];
  for (const m of s.modules) hidden[m.layer] = Math.max(hidden[m.layer] ?? 0, m.index + 1);
  if (hidden.length === 0) return null;
  const layout = networkLayout(s.features.split(','), hidden, classes);
  const reasons = Object.keys(CELL_STYLES) as DecisionReason[];
  const frozen = s.decisions ? s.decisions.updating.filter((u) => !u).length : 0;
  return (
    <figure className="network" data-testid="view.network">
      <svg
        viewBox={`0 0 ${layout.width} ${layout.height}`}
        width="100%"
        role="group"
        aria-label={`Network diagram: ${s.modules.length} hidden neurons, ${frozen} frozen; each neuron is a button that opens its details`}
      >
        <defs>
          {reasons.map((r) => (
            <pattern key={r} id={`net-${r}`} width={6} height={6} patternUnits="userSpaceOnUse">
              <rect width={6} height={6} fill={CELL_STYLES[r].fill} />
              {patternShape(CELL_STYLES[r].pattern, CELL_STYLES[r].ink)}
            </pattern>
          ))}
        </defs>
        {layout.edges.map(([a, b], i) => {
          const na = layout.nodes[a]!;
          const nb = layout.nodes[b]!;
          return (
            <line
              key={i}
              x1={na.x}
              y1={na.y}
              x2={nb.x}
              y2={nb.y}
              stroke={palette.netEdge}
              strokeWidth={0.6}
            />
          );
        })}
        {layout.nodes.map((n) => {
          if (n.module === null) {
            return (
              <g key={n.label}>
                <rect
                  x={n.x - layout.radius}
                  y={n.y - layout.radius}
                  width={2 * layout.radius}
                  height={2 * layout.radius}
                  fill={palette.netNodeBg}
                  stroke={palette.netNodeLine}
                />
                <text
                  x={n.column === 0 ? n.x - layout.radius - 4 : n.x + layout.radius + 4}
                  y={n.y + 4}
                  fontSize={11}
                  fill={palette.text}
                  textAnchor={n.column === 0 ? 'end' : 'start'}
                >
                  {n.label}
                </text>
              </g>
            );
          }
          const id = s.modules[n.module]?.id ?? n.label;
          const reason: DecisionReason = s.decisions?.reasons[n.module] ?? 'warmup';
          const style = CELL_STYLES[reason];
          return (
            <circle
              key={id}
              data-module={id}
              data-updating={style.updating ? '1' : '0'}
              cx={n.x}
              cy={n.y}
              r={layout.radius}
              fill={fillFor(reason)}
              stroke={s.selected === id ? palette.selected : style.ink}
              strokeWidth={s.selected === id ? 2.5 : style.outline ? 2 : 1.2}
              style={{ cursor: 'pointer' }}
              className="net-neuron"
              role="button"
              tabIndex={0}
              aria-label={`${id}: ${REASON_WORDS[reason]}`}
              aria-pressed={s.selected === id}
              onClick={() => selectModule(id)}
              onKeyDown={(e) => {
                if (e.key !== 'Enter' && e.key !== ' ') return;
                e.preventDefault();
                e.stopPropagation();
                selectModule(id);
              }}
            >
              <title>{`${id}: ${REASON_WORDS[reason]}`}</title>
            </circle>
          );
        })}
      </svg>
      <figcaption>
        Hidden neurons are the modules: solid = updated, patterned = frozen ({frozen} of{' '}
        {s.modules.length} now). Same patterns as the timeline; click a neuron (or Tab to it and
        press Enter) for its kernel.
      </figcaption>
    </figure>
  );
}
