import { describe, expect, it } from 'vitest';
import { networkLayout } from './network-layout';

describe('networkLayout', () => {
  it('places inputs, hidden neurons (as modules, layer-major) and outputs in columns', () => {
    const l = networkLayout(['x', 'y'], [3, 2], 2, { width: 300, pitch: 20, radius: 5 });
    expect(l.nodes).toHaveLength(2 + 3 + 2 + 2);
    expect(l.nodes.map((n) => n.module)).toEqual([null, null, 0, 1, 2, 3, 4, null, null]);
    expect(l.nodes.map((n) => n.label)).toEqual([
      'x',
      'y',
      'L0.N0',
      'L0.N1',
      'L0.N2',
      'L1.N0',
      'L1.N1',
      'class 0',
      'class 1',
    ]);
    // Four columns from x = 40 to 300 − 56 = 244.
    expect([...new Set(l.nodes.map((n) => n.x))]).toEqual([40, 40 + 204 / 3, 40 + 408 / 3, 244]);
    // The tallest column (3) spans the height; the others are centred on it.
    expect(l.height).toBe(3 * 20 + 10);
    const mid = l.height / 2;
    for (const c of [0, 1, 2, 3]) {
      const ys = l.nodes.filter((n) => n.column === c).map((n) => n.y);
      expect((Math.min(...ys) + Math.max(...ys)) / 2).toBeCloseTo(mid, 10);
    }
    // Dense layers: 2·3 + 3·2 + 2·2 edges.
    expect(l.edges).toHaveLength(16);
  });
});
