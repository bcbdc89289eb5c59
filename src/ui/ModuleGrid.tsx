import type { ReactNode } from 'react';
import { selectModule } from '../store/actions';
import type { GridCell } from './GridCanvas';
import { GridCanvas } from './GridCanvas';
import type { GridLayout } from './grid';
import { useGridData, useModuleRows } from './module-rows';

/** A module × evaluation grid of the run (heatmap, timeline): a row click opens the module. */
export function ModuleGrid(props: {
  drawCells: (ctx: CanvasRenderingContext2D, layout: GridLayout) => void;
  tooltip: (cell: GridCell) => ReactNode;
  ariaLabel: string;
  empty: string;
}) {
  const { modules, labels, layers } = useModuleRows();
  const { evaluations } = useGridData();
  return (
    <GridCanvas
      {...props}
      labels={labels}
      layers={layers}
      evaluations={evaluations}
      onRowClick={(row) => selectModule(modules[row]?.id ?? null)}
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
