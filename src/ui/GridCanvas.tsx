import { useEffect, useMemo, useRef, useState } from 'react';
import type { MouseEvent as ReactMouseEvent, ReactNode } from 'react';
import type { EvalColumn } from '../store/evaluations-slice';
import type { GridLayout } from './grid';
import { gridLayout, hitTest } from './grid';
import { AXIS_HEIGHT, drawLayerLines, drawRows, drawStepAxis, setupCanvas } from './grid-draw';
import { useElementWidth } from './use-element-width';

export interface GridCell {
  row: number;
  evaluation: EvalColumn;
  /** Index of the evaluation in the run. */
  index: number;
  /** Evaluations the hovered column stands for (it shows the last of them). */
  perColumn: number;
}

interface Props {
  /** Row labels, e.g. `L0·H3`. */
  labels: string[];
  /** Layer of each row (separators are drawn between layers). */
  layers: number[];
  evaluations: readonly EvalColumn[];
  /** Draws the cells; called whenever data or size change. */
  drawCells: (ctx: CanvasRenderingContext2D, layout: GridLayout) => void;
  tooltip: (cell: GridCell) => ReactNode;
  onRowClick?: (row: number) => void;
  /** Text for screen readers describing what the canvas shows. */
  ariaLabel: string;
  empty: string;
}

/**
 * A module × evaluation grid on a canvas (thousands of cells would be too many DOM nodes), with
 * row labels, a step axis, a hover tooltip and row clicks.
 */
export function GridCanvas({
  labels,
  layers,
  evaluations,
  drawCells,
  tooltip,
  onRowClick,
  ariaLabel,
  empty,
}: Props) {
  const [wrapRef, width] = useElementWidth<HTMLDivElement>();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<{ x: number; y: number; row: number; index: number } | null>(
    null,
  );
  const layout = useMemo(
    () => gridLayout(evaluations.length, labels.length, width),
    [evaluations.length, labels.length, width],
  );

  useEffect(() => {
    const canvas = canvasRef.current;
    if (!canvas) return;
    const ctx = setupCanvas(canvas, layout.width, layout.height + AXIS_HEIGHT);
    if (!ctx) return;
    drawCells(ctx, layout);
    drawLayerLines(ctx, layout, layers);
    drawRows(ctx, layout, labels);
    drawStepAxis(ctx, layout, evaluations);
  }, [layout, drawCells, labels, layers, evaluations]);

  const locate = (e: ReactMouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    return { x, y, hit: hitTest(layout, x, y) };
  };

  const cell = hover ? evaluations[hover.index] : undefined;
  const binned = layout.perColumn > 1;
  return (
    <div className="grid-wrap" ref={wrapRef}>
      <canvas
        ref={canvasRef}
        role="img"
        aria-label={ariaLabel}
        className={onRowClick ? 'grid-canvas clickable' : 'grid-canvas'}
        onMouseMove={(e) => {
          const { x, y, hit } = locate(e);
          setHover(hit ? { x, y, row: hit.row, index: hit.evaluation } : null);
        }}
        onMouseLeave={() => setHover(null)}
        onClick={(e) => {
          const { y, x } = locate(e);
          const row = Math.floor(y / layout.rowH);
          if (onRowClick && row >= 0 && row < labels.length && x >= 0) onRowClick(row);
        }}
      />
      {evaluations.length === 0 && <p className="grid-empty">{empty}</p>}
      {binned && (
        <p className="note">
          {evaluations.length} evaluations; each column shows the last of {layout.perColumn}{' '}
          consecutive evaluations.
        </p>
      )}
      {hover && cell && (
        <div
          className="tooltip"
          role="tooltip"
          style={{
            left: Math.min(hover.x + 14, Math.max(0, layout.width - 260)),
            top: hover.y + 14,
          }}
        >
          {tooltip({
            row: hover.row,
            evaluation: cell,
            index: hover.index,
            perColumn: layout.perColumn,
          })}
        </div>
      )}
    </div>
  );
}
