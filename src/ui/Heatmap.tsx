import { useCallback, useMemo } from 'react';
import { selectModule } from '../store/actions';
import { REASON_WORDS } from '../store/selectors';
import { lambdaScale, positiveRange } from './colour';
import { formatValue } from '../report/format';
import type { GridCell } from './GridCanvas';
import { GridCanvas } from './GridCanvas';
import type { GridLayout } from './grid';
import { drawHeatCells } from './grid-draw';
import { HeatLegend } from './HeatLegend';
import { useGridData, useModuleRows } from './module-rows';
import { moduleWords } from './model-words';

/** λmax of every module at every evaluation, on a log colour scale. */
export function Heatmap() {
  const { modules, labels, layers } = useModuleRows();
  const { evaluations, K, model } = useGridData();
  const words = moduleWords(model);
  const range = useMemo(() => positiveRange(evaluations.map((e) => e.lambdaMax)), [evaluations]);
  const scale = useMemo(() => lambdaScale(range), [range]);
  const draw = useCallback(
    (ctx: CanvasRenderingContext2D, layout: GridLayout) =>
      drawHeatCells(ctx, layout, evaluations, modules.length, scale),
    [evaluations, modules.length, scale],
  );
  const tooltip = ({ row, evaluation: e, perColumn }: GridCell) => {
    const reason = e.reasons[row];
    return (
      <>
        <strong>{labels[row]}</strong> <span className="muted">({modules[row]?.id})</span>
        <div>
          step {e.step}
          {perColumn > 1 && (
            <span className="muted"> (last of {perColumn} evaluations in this column)</span>
          )}
        </div>
        <div>
          λmax = <b>{formatValue(e.lambdaMax[row] ?? NaN)}</b>
        </div>
        <div>effective rank {formatValue(e.effRank[row] ?? NaN, 3)}</div>
        <div>{reason ? REASON_WORDS[reason] : '—'}</div>
        <div className="muted">click the row for its spectrum</div>
      </>
    );
  };
  return (
    <section className="card" data-testid="chart.heatmap" aria-labelledby="heatmap-title">
      <header className="card-head">
        <h2 id="heatmap-title">λmax of each {words.one}&apos;s mNTK</h2>
        <p className="card-sub">
          Rows: {words.many} ({words.rows}). Columns: evaluations, every K = {K} steps. Colour: λmax
          on a log scale.
        </p>
      </header>
      <GridCanvas
        labels={labels}
        layers={layers}
        evaluations={evaluations}
        drawCells={draw}
        tooltip={tooltip}
        onRowClick={(row) => selectModule(modules[row]?.id ?? null)}
        ariaLabel={`Heatmap of λmax for ${modules.length} modules over ${evaluations.length} evaluations`}
        empty="No evaluation yet. λmax is computed at step 0 and every K steps: press Play or Step."
      />
      <HeatLegend domain={scale.domain} colour={scale.colour} />
    </section>
  );
}
