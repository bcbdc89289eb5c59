import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { splitTotal } from '../core/flops';
import { computeSplit } from '../store/selectors';
import { emptyMetrics } from '../store/metrics';
import { ComputeSplitView } from './ComputeSplit';

describe('ComputeSplitView', () => {
  it('shows every part for the run and vanilla; the rows sum to the total row', () => {
    const run = { forward: 3e9, inputGrad: 2.5e9, weightGrad: 1e9, optimizer: 2e6, kernel: 4e8 };
    const vanilla = { forward: 3e9, inputGrad: 2.5e9, weightGrad: 3e9, optimizer: 6e6, kernel: 0 };
    const split = computeSplit({
      metrics: { ...emptyMetrics(), split: { step: 9, run, vanilla } },
    })!;
    const html = renderToStaticMarkup(createElement(ComputeSplitView, { split, policy: 'MAT' }));
    const rows = [...html.matchAll(/data-testid="compute\.split\.(\w+)" data-run="([^"]+)"/g)];
    expect(rows.map((r) => r[1])).toEqual([
      'forward',
      'inputGrad',
      'weightGrad',
      'optimizer',
      'kernel',
      'total',
    ]);
    const total = Number(rows.pop()![2]);
    expect(rows.reduce((a, r) => a + Number(r[2]), 0)).toBe(total);
    expect(total).toBe(splitTotal(run));
    // Savings per part, in the shared formats; the kernel is an extra cost of the policy.
    expect(html).toContain('2 GFLOP (66.7 %)');
    expect(html).toContain('−400 MFLOP (extra)');
    expect(html).toContain('MAT (charged)');
  });
});
