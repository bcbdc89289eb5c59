import { interpolateViridis } from 'd3-scale-chromatic';
import { describe, expect, it } from 'vitest';
import { lambdaScale, logTicks, NO_VALUE_COLOUR, positiveRange } from './colour';
import { GUTTER, gridLayout, hitTest } from './grid';
import { MAX_CELL_WIDTH, MAX_GRID_HEIGHT, MIN_CELL_WIDTH } from './grid';

describe('gridLayout', () => {
  it('draws one column per evaluation while they fit, capped in width', () => {
    const g = gridLayout(3, 8, 800);
    expect(g.columns).toEqual([0, 1, 2]);
    expect(g.perColumn).toBe(1);
    expect(g.cellW).toBe(MAX_CELL_WIDTH);
  });

  it('is readable at 4 layers × 8 heads × 500 evaluations', () => {
    const g = gridLayout(500, 32, 1100);
    expect(g.columns).toHaveLength(500);
    expect(g.cellW).toBeGreaterThanOrEqual(MIN_CELL_WIDTH);
    expect(g.rowH).toBeGreaterThanOrEqual(12);
    expect(g.height).toBeLessThanOrEqual(MAX_GRID_HEIGHT);
  });

  it('bins long runs and always keeps the newest evaluation', () => {
    const g = gridLayout(10_000, 8, 600);
    expect(g.columns.length).toBeLessThanOrEqual((600 - GUTTER) / MIN_CELL_WIDTH);
    expect(g.columns[g.columns.length - 1]).toBe(9999);
    expect(g.perColumn).toBeGreaterThan(1);
    for (let i = 1; i < g.columns.length; i++)
      expect(g.columns[i]! - g.columns[i - 1]!).toBe(g.perColumn);
  });

  it('maps points back to cells', () => {
    const g = gridLayout(4, 2, 400);
    expect(hitTest(g, GUTTER + 1, 1)).toEqual({ column: 0, evaluation: 0, row: 0 });
    expect(hitTest(g, GUTTER + g.cellW * 3 + 1, g.rowH + 1)).toEqual({
      column: 3,
      evaluation: 3,
      row: 1,
    });
    expect(hitTest(g, GUTTER - 1, 1)).toBeNull();
    expect(hitTest(g, GUTTER + g.cellW * 4 + 1, 1)).toBeNull();
    expect(hitTest(g, GUTTER + 1, g.rowH * 2 + 1)).toBeNull();
  });
});

describe('λmax colour scale', () => {
  it('spans the positive finite values only', () => {
    expect(
      positiveRange([Float64Array.of(0, -1, NaN, 2, 8), Float64Array.of(Infinity, 0.5)]),
    ).toEqual([0.5, 8]);
    expect(positiveRange([Float64Array.of(0, NaN)])).toBeNull();
  });

  it('is logarithmic: the geometric mean sits in the middle', () => {
    const s = lambdaScale([1e-4, 1]);
    expect(s.colour(1e-2)).toBe(interpolateViridis(0.5));
    expect(s.colour(1e-4)).toBe(interpolateViridis(0));
    expect(s.colour(10)).toBe(interpolateViridis(1));
    expect(s.colour(1e-4)).not.toBe(s.colour(1));
    expect(s.colour(0)).toBe(NO_VALUE_COLOUR);
    expect(s.colour(NaN)).toBe(NO_VALUE_COLOUR);
  });

  it('widens a single-value domain and spaces ticks in log space', () => {
    expect(lambdaScale([2, 2]).domain).toEqual([2 / 1.1, 2.2]);
    const t = logTicks(1, 100, 3);
    expect(t[1]).toBeCloseTo(10, 10);
  });
});
