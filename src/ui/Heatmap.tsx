import { useCallback, useMemo, useRef } from 'react';
import { REASON_WORDS } from '../store/selectors';
import { lambdaScale, positiveRange } from './colour';
import { formatValue } from '../report/format';
import type { GridCell } from './GridCanvas';
import { ModuleGrid, RowTitle } from './ModuleGrid';
import type { GridLayout } from './grid';
import { drawHeatCells } from './grid-draw';
import type { GridPicture } from './grid-picture';
import { heatLegend } from './grid-picture';
import { GridExports } from './GridExports';
import { HeatLegend } from './HeatLegend';
import { useGridData, useModuleRows } from './module-rows';
import { moduleWords } from './model-words';
import { Term } from './Term';
import { usePalette } from './theme';

/**
 * λmax of every module at every evaluation, on a log colour scale. `range` (Live A/B: the range
 * over both arms, so the two heatmaps share one colour scale) replaces the run's own range;
 * `arm` names the run in the title when two are shown.
 */
export function Heatmap({
  range: sharedRange,
  arm,
}: { range?: [number, number] | null; arm?: string } = {}) {
  const { modules } = useModuleRows();
  const { evaluations, K, model, modules: selection, fc } = useGridData();
  const words = moduleWords(model, selection, fc);
  const ownRange = useMemo(() => positiveRange(evaluations.map((e) => e.lambdaMax)), [evaluations]);
  const range = sharedRange === undefined ? ownRange : sharedRange;
  const palette = usePalette();
  const scale = useMemo(() => lambdaScale(range, palette.noValue), [range, palette.noValue]);
  const draw = useCallback(
    (ctx: CanvasRenderingContext2D, layout: GridLayout) =>
      drawHeatCells(ctx, layout, evaluations, modules.length, scale),
    [evaluations, modules.length, scale],
  );
  const pictureRef = useRef<GridPicture | null>(null);
  const tooltip = ({ row, evaluation: e, perColumn }: GridCell) => {
    const reason = e.reasons[row];
    return (
      <>
        <RowTitle row={row} />
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
        <div className="muted">click the row (or press Enter) for its spectrum</div>
      </>
    );
  };
  return (
    <section className="card" data-testid="chart.heatmap" aria-labelledby="heatmap-title">
      <header className="card-head">
        <h2 id="heatmap-title">
          λmax of each {words.one}&apos;s mNTK{arm ? ` · ${arm}` : ''}
        </h2>
        <p className="card-sub">
          Rows: {words.many} ({words.rows}). Columns: <Term term="evaluation">evaluations</Term>,
          every K = {K} steps. Colour: λmax on a log scale.
        </p>
        <GridExports
          what="heatmap"
          title="the λmax heatmap"
          pictureRef={pictureRef}
          background={palette.card}
          legend={(ink) => heatLegend(scale.domain, scale.colour, palette.noValue, ink)}
          hasData={evaluations.length > 0}
        />
      </header>
      <ModuleGrid
        pictureRef={pictureRef}
        drawCells={draw}
        tooltip={tooltip}
        ariaLabel={`Heatmap of λmax for ${modules.length} modules over ${evaluations.length} evaluations`}
        empty="No evaluation yet. λmax is computed at step 0 and every K steps: press Play or Step."
      />
      <HeatLegend domain={scale.domain} colour={scale.colour} noValue={palette.noValue} />
    </section>
  );
}
