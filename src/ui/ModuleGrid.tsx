import { useMemo } from 'react';
import type { ReactNode, RefObject } from 'react';
import { selectModule } from '../store/actions';
import type { GridCell } from './GridCanvas';
import { GridCanvas } from './GridCanvas';
import { useChangeMarks } from './change-log';
import type { CellDrawer, GridPicture } from './grid-picture';
import { useGridData, useModuleRows } from './module-rows';
import { MAX_GRID_HEIGHT } from './grid';
import { presenterGridHeight, useViewportHeight } from './presenter';
import { useLabStore } from '../store/store';
import { shownScrubStep } from '../store/scrub-slice';

/** A module × evaluation grid of the run (heatmap, timeline): a row click opens the module. */
export function ModuleGrid(props: {
  drawCells: CellDrawer;
  tooltip: (cell: GridCell) => ReactNode;
  ariaLabel: string;
  empty: string;
  pictureRef?: RefObject<GridPicture | null>;
}) {
  const { modules, labels, layers } = useModuleRows();
  const { evaluations } = useGridData();
  const changes = useChangeMarks();
  const marks = useMemo(() => changes.map((m) => m.step), [changes]);
  const present = useLabStore((s) => s.page.present);
  const scrubStep = useLabStore((s) => s.scrubStep);
  const viewport = useViewportHeight();
  return (
    <GridCanvas
      {...props}
      labels={labels}
      layers={layers}
      evaluations={evaluations}
      onRowClick={(row) => selectModule(modules[row]?.id ?? null)}
      onCursorRow={(row) => {
        // An open drill-down follows the keyboard cursor to the next / previous module.
        if (useLabStore.getState().selectedModule !== null) selectModule(modules[row]?.id ?? null);
      }}
      maxHeight={present ? presenterGridHeight(viewport) : MAX_GRID_HEIGHT}
      roomy={present}
      marks={marks}
      scrubStep={shownScrubStep(scrubStep, evaluations)}
    />
  );
}

/** A tooltip's first line: the row label and the module id. */
export function RowTitle({ row }: { row: number }) {
  const { modules, labels } = useModuleRows();
  return (
    <>
      <strong>{labels[row]}</strong> <span className="muted">({modules[row]?.id})</span>
    </>
  );
}
