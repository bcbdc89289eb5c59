import { useEffect, useId, useMemo, useRef, useState } from 'react';
import type { RefObject } from 'react';
import type {
  KeyboardEvent as ReactKeyboardEvent,
  MouseEvent as ReactMouseEvent,
  ReactNode,
} from 'react';
import type { EvalColumn } from '../store/evaluations-slice';
import type { GridCursor } from './grid';
import { GUTTER, gridLayout, hitTest, MAX_GRID_HEIGHT, moveCursor } from './grid';
import type { GridInk } from './grid-draw';
import { axisHeight, setupCanvas } from './grid-draw';
import type { CellDrawer, GridPicture } from './grid-picture';
import { drawGrid } from './grid-picture';
import { usePalette } from './theme';
import type { Anchor } from './top-layer';
import { useTopLayer } from './top-layer';
import { useDrawAfterCommit } from './use-draw-after-commit';
import { useElementWidth } from './use-element-width';

const NO_MARKS: readonly number[] = [];

/**
 * The widest a grid tip is drawn, CSS px: `.tooltip`'s `max-width` in styles.css. A tip starts no
 * further right than this from the grid's right edge, so that even the widest one ends within the
 * grid (as when the tips were drawn inside it) instead of running past the card.
 */
const TIP_MAX_WIDTH = 260;

/**
 * A grid tip's anchor in window coordinates (see useTopLayer), from the grid's box `r` and its
 * layout `width`, for a tip at (`x`, `y`) in the grid beside what it points at, whose top is at
 * `flipY`: `x` no further right than TIP_MAX_WIDTH from the grid's right edge.
 */
function tipAnchor(r: DOMRect, width: number, x: number, y: number, flipY: number): Anchor {
  return {
    x: r.left + Math.min(x, Math.max(0, width - TIP_MAX_WIDTH)),
    y: r.top + y,
    flipY: r.top + flipY,
  };
}

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
  /** Draws the cells; called whenever data, size or theme change. */
  drawCells: CellDrawer;
  tooltip: (cell: GridCell) => ReactNode;
  /** A row clicked, or Enter / Space on the keyboard cursor's row. */
  onRowClick?: (row: number) => void;
  /** The keyboard cursor moved to another row (the drill-down follows it when open). */
  onCursorRow?: (row: number) => void;
  /** Text for screen readers describing what the canvas shows. */
  ariaLabel: string;
  empty: string;
  /** Tallest the cells may be in all, CSS px. */
  maxHeight?: number;
  /** Presenter mode: rows grow to fill `maxHeight`, labels are larger. */
  roomy?: boolean;
  /** Steps of the run's changes (slider moves, overrides), marked over the grid. */
  marks?: readonly number[];
  /** Receives what the canvas was last drawn from, for the PNG and SVG exports. */
  pictureRef?: RefObject<GridPicture | null> | undefined;
  /** The scrub cursor's evaluation step (issue 11), its column highlighted; null: none. */
  scrubStep?: number | null;
}

/**
 * A module × evaluation grid on a canvas (thousands of cells would be too many DOM nodes), with
 * row labels, a step axis, a hover tooltip, row clicks and a keyboard cursor: the canvas takes
 * focus, arrow keys (and j / k) move a visible cursor over modules × evaluations, its cell's
 * tooltip is announced, and Enter or Space opens the module.
 */
export function GridCanvas({
  labels,
  layers,
  evaluations,
  drawCells,
  tooltip,
  onRowClick,
  onCursorRow,
  ariaLabel,
  empty,
  maxHeight = MAX_GRID_HEIGHT,
  roomy = false,
  marks = NO_MARKS,
  pictureRef,
  scrubStep = null,
}: Props) {
  const [wrapRef, width] = useElementWidth<HTMLDivElement>();
  const canvasRef = useRef<HTMLCanvasElement>(null);
  const palette = usePalette();
  const helpId = useId();
  const [hover, setHover] = useState<{ x: number; y: number; row: number; index: number } | null>(
    null,
  );
  /** Keyboard cursor; `column` -1 follows the newest evaluation. */
  const [cursor, setCursor] = useState<GridCursor>({ row: 0, column: -1 });
  const [focused, setFocused] = useState(false);
  const layout = useMemo(
    () => gridLayout(evaluations.length, labels.length, width, maxHeight, roomy),
    [evaluations.length, labels.length, width, maxHeight, roomy],
  );
  const ink: GridInk = useMemo(
    () => ({
      text: palette.gridText,
      muted: palette.gridMuted,
      separator: palette.card,
      fontPx: roomy ? 16 : 12,
    }),
    [palette, roomy],
  );
  const axis = axisHeight(ink.fontPx);

  const picture: GridPicture = useMemo(
    () => ({ layout, drawCells, labels, layers, evaluations, ink, marks }),
    [layout, drawCells, labels, layers, evaluations, ink, marks],
  );
  useEffect(() => {
    if (pictureRef) pictureRef.current = picture;
  }, [picture, pictureRef]);
  useDrawAfterCommit(() => {
    const canvas = canvasRef.current;
    const ctx = canvas && setupCanvas(canvas, picture.layout.width, picture.layout.height + axis);
    if (ctx) drawGrid(ctx, picture);
  }, [picture, axis]);

  const locate = (e: ReactMouseEvent<HTMLCanvasElement>) => {
    const rect = e.currentTarget.getBoundingClientRect();
    const x = e.clientX - rect.left;
    const y = e.clientY - rect.top;
    return { x, y, hit: hitTest(layout, x, y) };
  };

  const columns = layout.columns.length;
  const rows = labels.length;
  const cursorColumn = cursor.column < 0 || cursor.column >= columns ? columns - 1 : cursor.column;
  const cursorRow = Math.min(cursor.row, Math.max(0, rows - 1));
  const cursorIndex = layout.columns[cursorColumn];
  const cursorCell = cursorIndex === undefined ? undefined : evaluations[cursorIndex];

  const onKeyDown = (e: ReactKeyboardEvent<HTMLCanvasElement>) => {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    if ((e.key === 'Enter' || e.key === ' ') && rows > 0) {
      e.preventDefault();
      e.stopPropagation();
      onRowClick?.(cursorRow);
      return;
    }
    const next = moveCursor({ row: cursorRow, column: cursorColumn }, e.key, rows, columns);
    if (!next) return;
    e.preventDefault();
    // j / k here move the cursor; they must not reach the page's shortcuts (k: play / pause).
    e.stopPropagation();
    // Back at the newest column: keep following new evaluations.
    setCursor({ row: next.row, column: next.column >= columns - 1 ? -1 : next.column });
    if (next.row !== cursorRow) onCursorRow?.(next.row);
  };

  const cell = hover ? evaluations[hover.index] : undefined;
  const binned = layout.perColumn > 1;
  const showCursor = focused && rows > 0 && columns > 0;
  const cursorBox = {
    left: Math.round(GUTTER + cursorColumn * layout.cellW) - 2,
    top: cursorRow * layout.rowH - 2,
    width: Math.max(1, Math.round(layout.cellW)) + 4,
    height: layout.rowH + 4,
  };
  // The tips are shown in the top layer (top-layer.ts), so the card does not clip them: placed in
  // window coordinates from the grid's box, where they were in it (tipAnchor), and kept inside the
  // window. Placed again when the pointer or the cursor moves, not on every render.
  const cursorTip = showCursor && !hover && !!cursorCell;
  const hoverTipRef = useRef<HTMLDivElement>(null);
  const cursorTipRef = useRef<HTMLDivElement>(null);
  useTopLayer(
    hoverTipRef,
    !!(hover && cell),
    () => {
      const r = wrapRef.current?.getBoundingClientRect();
      if (!r || !hover) return null;
      return tipAnchor(r, layout.width, hover.x + 14, hover.y + 14, hover.y - 14);
    },
    [hover?.x, hover?.y, layout.width],
  );
  useTopLayer(
    cursorTipRef,
    cursorTip,
    () => {
      const r = wrapRef.current?.getBoundingClientRect();
      if (!r) return null;
      const { left, top, width, height } = cursorBox;
      return tipAnchor(r, layout.width, left + width + 8, top + height + 4, top - 4);
    },
    [cursorBox.left, cursorBox.top, cursorBox.width, cursorBox.height, layout.width],
  );
  // The scrubbed evaluation's column: the first whose (last) evaluation is at or after it.
  const scrubIndex = scrubStep === null ? -1 : evaluations.findIndex((e) => e.step === scrubStep);
  const scrubColumn = scrubIndex < 0 ? -1 : layout.columns.findIndex((i) => i >= scrubIndex);
  return (
    <div className="grid-wrap" ref={wrapRef}>
      <canvas
        ref={canvasRef}
        role="application"
        aria-roledescription="module grid"
        aria-label={ariaLabel}
        aria-describedby={helpId}
        data-change-steps={marks.join(',')}
        tabIndex={0}
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
        onKeyDown={onKeyDown}
        onFocus={() => setFocused(true)}
        onBlur={() => setFocused(false)}
      />
      <span id={helpId} className="visually-hidden">
        Arrow keys move over modules and evaluations (j and k: next and previous module, Home and
        End: first and newest evaluation); Enter opens the module&apos;s details.
      </span>
      {showCursor && (
        <div
          className="grid-cursor"
          data-testid="grid.cursor"
          aria-hidden="true"
          style={cursorBox}
        />
      )}
      {scrubColumn >= 0 && (
        <div
          className="grid-scrub"
          data-testid="grid.scrub"
          data-step={scrubStep ?? ''}
          aria-hidden="true"
          style={{
            left: Math.round(GUTTER + scrubColumn * layout.cellW) - 2,
            top: -2,
            width: Math.max(1, Math.round(layout.cellW)) + 4,
            height: layout.height + 4,
          }}
        />
      )}
      {evaluations.length === 0 && <p className="grid-empty">{empty}</p>}
      {binned && (
        <p className="note">
          {evaluations.length} evaluations; each column shows the last of {layout.perColumn}{' '}
          consecutive evaluations.
        </p>
      )}
      {hover && cell && (
        <div ref={hoverTipRef} className="tooltip" role="tooltip" popover="manual">
          {tooltip({
            row: hover.row,
            evaluation: cell,
            index: hover.index,
            perColumn: layout.perColumn,
          })}
        </div>
      )}
      {/* The cursor's cell, shown beside it and read out (polite) as the cursor moves. */}
      <div
        ref={cursorTipRef}
        className={cursorTip ? 'tooltip' : 'visually-hidden'}
        role="status"
        data-testid="grid.cursor-text"
        popover="manual"
      >
        {showCursor && cursorCell && cursorIndex !== undefined
          ? tooltip({
              row: cursorRow,
              evaluation: cursorCell,
              index: cursorIndex,
              perColumn: layout.perColumn,
            })
          : null}
      </div>
    </div>
  );
}
