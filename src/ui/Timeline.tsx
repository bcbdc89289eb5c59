import { useCallback, useRef } from 'react';
import { REASON_WORDS } from '../store/selectors';
import { formatValue } from '../report/format';
import type { GridCell } from './GridCanvas';
import { ModuleGrid, RowTitle } from './ModuleGrid';
import type { GridLayout } from './grid';
import { drawDecisionCells } from './grid-draw';
import type { TileMaker } from './grid-draw';
import type { GridPicture } from './grid-picture';
import { timelineLegend } from './grid-picture';
import { GridExports } from './GridExports';
import { usePalette } from './theme';
import { useGridData, useModuleRows } from './module-rows';
import { TimelineLegend } from './TimelineLegend';

/** Which modules were updated between each evaluation and the next, and why. */
export function Timeline() {
  const { modules } = useModuleRows();
  const { evaluations, policy } = useGridData();
  const draw = useCallback(
    (ctx: CanvasRenderingContext2D, layout: GridLayout, newTile: TileMaker) =>
      drawDecisionCells(ctx, layout, evaluations, modules.length, newTile),
    [evaluations, modules.length],
  );
  const palette = usePalette();
  const pictureRef = useRef<GridPicture | null>(null);
  const tooltip = ({ row, evaluation: e, index, perColumn }: GridCell) => {
    const reason = e.reasons[row];
    const next = evaluations[index + 1];
    const first = evaluations[Math.max(0, index - perColumn + 1)];
    return (
      <>
        <RowTitle row={row} />
        <div>
          steps {e.step}–{next ? next.step - 1 : 'now'}
        </div>
        {perColumn > 1 && first && (
          <div className="muted">
            this column covers steps {first.step}–{next ? next.step - 1 : 'now'} and shows the last
            of {perColumn} evaluations
          </div>
        )}
        <div>
          <b>{reason ? REASON_WORDS[reason] : '—'}</b>
        </div>
        <div>
          λmax at step {e.step}: {formatValue(e.lambdaMax[row] ?? NaN)}
        </div>
        {e.amendedAt !== null && (
          <div className="muted">decisions changed at step {e.amendedAt} (slider or override)</div>
        )}
      </>
    );
  };
  const updating = evaluations[evaluations.length - 1]?.updating;
  const on = updating ? updating.reduce((a, b) => a + b, 0) : null;
  return (
    <section className="card" data-testid="chart.timeline" aria-labelledby="timeline-title">
      <header className="card-head">
        <h2 id="timeline-title">Freeze / update timeline</h2>
        <p className="card-sub">
          Each cell: what the module did from that evaluation until the next.
          {on !== null && ` Now training ${on} of ${modules.length} modules.`}
        </p>
        <GridExports
          what="timeline"
          title="the freeze / update timeline"
          pictureRef={pictureRef}
          background={palette.card}
          legend={(ink) => timelineLegend(policy, ink)}
          hasData={evaluations.length > 0}
        />
      </header>
      <ModuleGrid
        pictureRef={pictureRef}
        drawCells={draw}
        tooltip={tooltip}
        ariaLabel={`Timeline of freeze and update decisions for ${modules.length} modules over ${evaluations.length} evaluations`}
        empty="Decisions appear with the first evaluation."
      />
      <TimelineLegend policy={policy} />
    </section>
  );
}
