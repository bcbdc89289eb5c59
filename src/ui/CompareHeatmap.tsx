import { useCallback, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { getPolicy } from '../core/policies/registry';
import { formatValue } from '../report/format';
import { REASON_WORDS } from '../store/selectors';
import { useLabStore } from '../store/store';
import { lambdaScale, positiveRange } from './colour';
import type { GridCell } from './GridCanvas';
import { GridCanvas } from './GridCanvas';
import type { GridLayout } from './grid';
import { MAX_GRID_HEIGHT } from './grid';
import { drawHeatCells } from './grid-draw';
import { Heatmap } from './Heatmap';
import { HeatLegend } from './HeatLegend';
import { useModuleRows } from './module-rows';
import { usePalette } from './theme';

/**
 * The heatmap card: the run's alone, or (Live A/B) both arms' side by side on one colour scale,
 * the range over both, so a colour means the same λmax in each (stacked on a phone).
 */
export function HeatmapCards() {
  const { a, b, policyA } = useLabStore(
    useShallow((s) => ({
      a: s.evaluations,
      b: s.compareRun?.evaluations ?? null,
      policyA: s.runConfig.policy,
    })),
  );
  const policyB = useLabStore((s) => s.compareRun?.runConfig.policy ?? null);
  const range = useMemo(
    () => (b ? positiveRange([...a, ...b].map((e) => e.lambdaMax)) : null),
    [a, b],
  );
  if (!b || policyB === null) return <Heatmap />;
  return (
    <div className="compare-heatmaps" data-testid="compare.heatmaps">
      <Heatmap range={range} arm={`A · ${getPolicy(policyA).label}`} />
      <CompareHeatmap range={range} arm={`B · ${getPolicy(policyB).label}`} />
    </div>
  );
}

/** Arm B's λmax heatmap (read-only: its rows open nothing), on the colour scale given. */
function CompareHeatmap({ range, arm }: { range: [number, number] | null; arm: string }) {
  const { modules, labels, layers } = useModuleRows();
  const evaluations = useLabStore((s) => s.compareRun?.evaluations ?? []);
  const palette = usePalette();
  const scale = useMemo(() => lambdaScale(range, palette.noValue), [range, palette.noValue]);
  const draw = useCallback(
    (ctx: CanvasRenderingContext2D, layout: GridLayout) =>
      drawHeatCells(ctx, layout, evaluations, modules.length, scale),
    [evaluations, modules.length, scale],
  );
  const tooltip = ({ row, evaluation: e }: GridCell) => {
    const reason = e.reasons[row];
    return (
      <>
        <strong>{labels[row]}</strong> <span className="muted">({modules[row]?.id})</span>
        <div>step {e.step}</div>
        <div>
          λmax = <b>{formatValue(e.lambdaMax[row] ?? NaN)}</b>
        </div>
        <div>{reason ? REASON_WORDS[reason] : '—'}</div>
      </>
    );
  };
  return (
    <section className="card" data-testid="compare.heatmap" aria-labelledby="compare-heatmap-title">
      <header className="card-head">
        <h2 id="compare-heatmap-title">λmax · {arm}</h2>
        <p className="card-sub">The second run, on the same colour scale as the first.</p>
      </header>
      <GridCanvas
        labels={labels}
        layers={layers}
        evaluations={evaluations}
        drawCells={draw}
        tooltip={tooltip}
        ariaLabel={`Heatmap of λmax of the second run for ${modules.length} modules over ${evaluations.length} evaluations`}
        empty="No evaluation yet in the second run."
        maxHeight={MAX_GRID_HEIGHT}
      />
      <HeatLegend domain={scale.domain} colour={scale.colour} noValue={palette.noValue} />
    </section>
  );
}
