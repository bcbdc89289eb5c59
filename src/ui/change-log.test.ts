import { describe, expect, it } from 'vitest';
import type { LoggedEvent, RunEvent } from '../core/config';
import type { ModuleInfo } from '../core/types';
import { changeMarks, changeRows, markX } from './change-log';
import { GUTTER } from './grid';

const modules: ModuleInfo[] = [
  { id: 'L0.N0', kind: 'neuron', layer: 0, index: 0, params: 5 },
  { id: 'L0.N1', kind: 'neuron', layer: 0, index: 1, params: 5 },
];

const logged: LoggedEvent[] = [
  { step: 60, name: 'override', module: 'L0.N1', from: 'auto', to: 'off' },
  { step: 90, name: 'alpha', from: 0.9, to: 1.8 },
  { step: 90, name: 'override', module: 'L0.N1', from: 'off', to: 'auto' },
];

describe('change log', () => {
  it('lists each change with its step and old → new value, then the link’s changes ahead', () => {
    const link: RunEvent[] = [
      { step: 90, name: 'alpha', value: 1.8 },
      { step: 110, name: 'beta', value: 0.12 },
      // Before the current step and never logged (a no-op): not listed.
      { step: 50, name: 'beta', value: 0.02 },
    ];
    const rows = changeRows(logged, link, 100, modules);
    expect(rows.map((r) => [r.step, r.what, r.from, r.to, r.scheduled])).toEqual([
      [60, 'L0·N1 (L0.N1)', 'the policy decides', 'forced off', false],
      [90, 'α', '0.9', '1.8', false],
      [90, 'L0·N1 (L0.N1)', 'forced off', 'the policy decides', false],
      [110, 'β', '', '0.12', true],
    ]);
  });

  it('marks each step with changes once, labelled with what changed', () => {
    expect(changeMarks(logged)).toEqual([
      { step: 60, label: 'L0.N1 off' },
      { step: 90, label: 'α, L0.N1 auto' },
    ]);
    expect(changeMarks([])).toEqual([]);
  });

  it('places a change in the column of the evaluation in force, as far in as its step', () => {
    const evaluations = [0, 10, 20, 30].map((step) => ({ step }));
    const layout = { columns: [0, 1, 2, 3], cellW: 10 };
    // At an evaluation step: that column's left edge.
    expect(markX(layout, evaluations, 20)).toBe(GUTTER + 20);
    // Between evaluations: into the column (step 25 is half-way from 20 to 30).
    expect(markX(layout, evaluations, 25)).toBe(GUTTER + 25);
    // After the newest evaluation: into its column by the usual spacing.
    expect(markX(layout, evaluations, 33)).toBe(GUTTER + 33);
    // Binned columns (each shows the last of two evaluations): step 20 falls in column 1 of
    // [1, 3], which covers evaluations 2 and 3 (steps 20–39).
    expect(markX({ columns: [1, 3], cellW: 10 }, evaluations, 20)).toBe(GUTTER + 10);
    expect(markX({ columns: [1, 3], cellW: 10 }, evaluations, 30)).toBe(GUTTER + 15);
    expect(markX(layout, [], 5)).toBeNull();
  });
});
