/**
 * Geometry shared by the λmax heatmap and the freeze/update timeline: rows are modules, columns
 * are evaluations. When there are more evaluations than the width can show at
 * {@link MIN_CELL_WIDTH} px, each column stands for `perColumn` consecutive evaluations and
 * shows the last of them (the newest evaluation is always drawn).
 */

/** Width of the row-label gutter in CSS px. */
export const GUTTER = 58;
export const MAX_CELL_WIDTH = 32;
export const MIN_CELL_WIDTH = 2;
/** Height of the grid (all rows) is kept within this many CSS px. */
export const MAX_GRID_HEIGHT = 520;

export interface GridLayout {
  /** Evaluation index drawn in each column, ascending. */
  columns: number[];
  /** Evaluations represented by one column (1 when nothing is skipped). */
  perColumn: number;
  cellW: number;
  rowH: number;
  /** Canvas size in CSS px. */
  width: number;
  height: number;
  /** Rows in the grid. */
  rows: number;
}

/** Tallest row in presenter mode (big rows for a projector), CSS px. */
export const ROOMY_ROW_HEIGHT = 44;

/**
 * Row height for `rows` modules: comfortable for a few, compact for many, never over
 * `maxHeight` in all; `roomy` (presenter mode) lets rows grow to fill `maxHeight`.
 */
export function rowHeight(rows: number, maxHeight = MAX_GRID_HEIGHT, roomy = false): number {
  const preferred = roomy ? ROOMY_ROW_HEIGHT : rows <= 8 ? 26 : rows <= 16 ? 20 : 15;
  return Math.max(3, Math.min(preferred, Math.floor(maxHeight / Math.max(1, rows))));
}

export function gridLayout(
  evaluations: number,
  rows: number,
  width: number,
  maxHeight = MAX_GRID_HEIGHT,
  roomy = false,
): GridLayout {
  const plotW = Math.max(10, width - GUTTER);
  const rowH = rowHeight(rows, maxHeight, roomy);
  const height = Math.max(rowH, rows * rowH);
  const fit = Math.max(1, Math.floor(plotW / MIN_CELL_WIDTH));
  let columns: number[];
  let perColumn = 1;
  if (evaluations <= fit) {
    columns = Array.from({ length: evaluations }, (_, i) => i);
  } else {
    perColumn = Math.ceil(evaluations / fit);
    columns = [];
    // Bins end at the newest evaluation: [n−perColumn, n−1], [n−2·perColumn, n−perColumn−1], …
    for (let last = evaluations - 1; last >= 0; last -= perColumn) columns.push(last);
    columns.reverse();
  }
  const cellW =
    columns.length === 0 ? MAX_CELL_WIDTH : Math.min(MAX_CELL_WIDTH, plotW / columns.length);
  return { columns, perColumn, cellW, rowH, width: Math.max(width, GUTTER + 10), height, rows };
}

/** The cell under a point (CSS px relative to the canvas), or null outside the cells. */
export function hitTest(
  layout: GridLayout,
  x: number,
  y: number,
): { column: number; evaluation: number; row: number } | null {
  if (x < GUTTER || y < 0) return null;
  const column = Math.floor((x - GUTTER) / layout.cellW);
  const row = Math.floor(y / layout.rowH);
  const evaluation = layout.columns[column];
  if (evaluation === undefined || row >= layout.rows) return null;
  return { column, evaluation, row };
}

/** The keyboard cursor of a grid: a row (module) and a column of the layout. */
export interface GridCursor {
  row: number;
  column: number;
}

/**
 * The cursor after a key (arrows, Home/End, j/k for the next/previous module), kept inside
 * `rows` × `columns`; null when the key does not move it.
 */
export function moveCursor(
  cursor: GridCursor,
  key: string,
  rows: number,
  columns: number,
): GridCursor | null {
  if (rows <= 0) return null;
  const clampRow = (r: number) => Math.min(rows - 1, Math.max(0, r));
  const clampCol = (c: number) => Math.min(Math.max(0, columns - 1), Math.max(0, c));
  switch (key) {
    case 'ArrowUp':
    case 'k':
      return { ...cursor, row: clampRow(cursor.row - 1) };
    case 'ArrowDown':
    case 'j':
      return { ...cursor, row: clampRow(cursor.row + 1) };
    case 'ArrowLeft':
      return { ...cursor, column: clampCol(cursor.column - 1) };
    case 'ArrowRight':
      return { ...cursor, column: clampCol(cursor.column + 1) };
    case 'Home':
      return { ...cursor, column: 0 };
    case 'End':
      return { ...cursor, column: clampCol(columns - 1) };
    case 'PageUp':
      return { ...cursor, row: 0 };
    case 'PageDown':
      return { ...cursor, row: rows - 1 };
    default:
      return null;
  }
}
