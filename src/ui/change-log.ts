/**
 * The run's changes (slider moves and manual overrides) as the change log lists them and the
 * charts mark them: pure functions of the logged events, plus the marks on the module grids.
 */
import { useMemo } from 'react';
import type { LoggedEvent, OverrideMode, RunEvent } from '../core/config';
import { runEventOf } from '../core/config';
import { moduleLabel } from '../core/families/module-kinds';
import type { ModuleInfo } from '../core/types';
import { formatEvent } from '../core/url';
import { formatValue } from '../report/format';
import { useLabStore } from '../store/store';
import type { GridLayout } from './grid';
import { GUTTER } from './grid';

/** The colour of change marks on every chart (pink-600: ≥ 3:1 on the light and dark cards). */
export const CHANGE_COLOUR = '#db2777';

const PARAM_WORDS = { alpha: 'α', beta: 'β' } as const;
const MODE_WORDS: Readonly<Record<OverrideMode, string>> = {
  on: 'forced on',
  off: 'forced off',
  auto: 'the policy decides',
};

export interface ChangeRow {
  key: string;
  step: number;
  /** What changed: `α`, `β`, or the module (`L0·N3 (L0.N3)`). */
  what: string;
  /** The value before; '' for a change still ahead (not known until it applies). */
  from: string;
  to: string;
  /** A change the link holds for a step the run has not reached yet. */
  scheduled: boolean;
}

function moduleWhat(id: string, modules: readonly ModuleInfo[]): string {
  const m = modules.find((x) => x.id === id);
  return m ? `${moduleLabel(m)} (${id})` : id;
}

/**
 * The change log: every logged change in order, then the link's changes still ahead of `step`
 * (a replayed link applies them when the run gets there).
 */
export function changeRows(
  logged: readonly LoggedEvent[],
  linkEvents: readonly RunEvent[],
  step: number,
  modules: readonly ModuleInfo[],
): ChangeRow[] {
  const rows: ChangeRow[] = logged.map((e, i) =>
    e.name === 'override'
      ? {
          key: `logged-${i}`,
          step: e.step,
          what: moduleWhat(e.module, modules),
          from: MODE_WORDS[e.from],
          to: MODE_WORDS[e.to],
          scheduled: false,
        }
      : {
          key: `logged-${i}`,
          step: e.step,
          what: PARAM_WORDS[e.name],
          from: formatValue(e.from),
          to: formatValue(e.to),
          scheduled: false,
        },
  );
  const done = new Set(logged.map((e) => formatEvent(runEventOf(e))));
  linkEvents.forEach((e, i) => {
    if (e.step < step || done.has(formatEvent(e))) return;
    rows.push({
      key: `ahead-${i}`,
      step: e.step,
      what: e.name === 'override' ? moduleWhat(e.module, modules) : PARAM_WORDS[e.name],
      from: '',
      to: e.name === 'override' ? MODE_WORDS[e.mode] : formatValue(e.value),
      scheduled: true,
    });
  });
  return rows;
}

/** A mark on the loss chart: one per step with changes, labelled with what changed. */
export interface ChangeMark {
  step: number;
  label: string;
}

/** The steps of the logged changes, one mark per step (`α`, `β`, module ids, joined). */
export function changeMarks(logged: readonly LoggedEvent[]): ChangeMark[] {
  const byStep = new Map<number, string[]>();
  for (const e of logged) {
    const label = e.name === 'override' ? `${e.module} ${e.to}` : PARAM_WORDS[e.name];
    const list = byStep.get(e.step) ?? [];
    if (!list.includes(label)) list.push(label);
    byStep.set(e.step, list);
  }
  return [...byStep.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([step, labels]) => ({ step, label: labels.join(', ') }));
}

/** The logged changes' marks, memoised on the event log. */
export function useChangeMarks(): ChangeMark[] {
  const events = useLabStore((s) => s.events);
  return useMemo(() => changeMarks(events), [events]);
}

/**
 * Where a change at `step` falls on a module grid, CSS px from the canvas's left edge: in the
 * column of the evaluation in force at that step (the last at or before it), as far into the
 * column as the step is into the steps the column covers (its left edge when the change took
 * effect at that evaluation). Null when there is no column yet.
 */
export function markX(
  layout: Pick<GridLayout, 'columns' | 'cellW'>,
  evaluations: readonly { step: number }[],
  step: number,
): number | null {
  const n = evaluations.length;
  if (n === 0 || layout.columns.length === 0) return null;
  let i = -1;
  for (let j = 0; j < n && evaluations[j]!.step <= step; j++) i = j;
  if (i < 0) return GUTTER;
  // A column shows the last of its bin of evaluations: (columns[c − 1], columns[c]].
  const c = layout.columns.findIndex((last) => last >= i);
  if (c < 0) return null;
  const first = c === 0 ? 0 : layout.columns[c - 1]! + 1;
  const last = layout.columns[c]!;
  const start = evaluations[first]!.step;
  const spacing = n > 1 ? evaluations[n - 1]!.step - evaluations[n - 2]!.step : 1;
  const end = evaluations[last + 1]?.step ?? evaluations[last]!.step + Math.max(1, spacing);
  const frac = end > start ? Math.min(1, Math.max(0, (step - start) / (end - start))) : 0;
  return GUTTER + (c + frac) * layout.cellW;
}

/**
 * Change marks over a module grid: a line through every row at each change's step (over a halo
 * of `halo`, the card's colour, so it reads on any cell) and a small triangle under the grid.
 */
export function drawChangeMarks(
  ctx: CanvasRenderingContext2D,
  layout: GridLayout,
  evaluations: readonly { step: number }[],
  steps: readonly number[],
  halo: string,
): void {
  for (const step of steps) {
    const x = markX(layout, evaluations, step);
    if (x === null) continue;
    const px = Math.round(x);
    ctx.fillStyle = halo;
    ctx.fillRect(px - 2, 0, 4, layout.height);
    ctx.fillStyle = CHANGE_COLOUR;
    ctx.fillRect(px - 1, 0, 2, layout.height);
    ctx.beginPath();
    ctx.moveTo(px - 4, layout.height + 6);
    ctx.lineTo(px + 4, layout.height + 6);
    ctx.lineTo(px, layout.height);
    ctx.closePath();
    ctx.fill();
  }
}
