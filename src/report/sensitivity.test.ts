import { describe, expect, it } from 'vitest';
import { presetConfig } from '../core/presets';
import { SWEEP_ALPHAS, SWEEP_BETAS, sweepConfigs, sweepMarkdown } from './sensitivity';
import type { RunRecord } from './schema';

const base = presetConfig('bert-austen')!;

function run(alpha: number, beta: number, flopsToTarget: number | null, final: number): RunRecord {
  return {
    config: { ...base, alpha, beta },
    seed: 1,
    steps: 200,
    flopsToTarget,
    finalSmoothed: final,
    totalFlops: 80,
  } as unknown as RunRecord;
}

describe('the sensitivity sweep', () => {
  it('covers the fixed α × β grid and changes nothing else', () => {
    const configs = sweepConfigs(base);
    expect(configs).toHaveLength(SWEEP_ALPHAS.length * SWEEP_BETAS.length);
    expect(configs.map((c) => [c.alpha, c.beta])).toEqual(
      SWEEP_ALPHAS.flatMap((a) => SWEEP_BETAS.map((b) => [a, b])),
    );
    for (const c of configs) expect({ ...c, alpha: base.alpha, beta: base.beta }).toEqual(base);
  });

  it('tabulates FLOPs to V*, the final metric and the total per cell', () => {
    const vanilla = { ...run(0.9, 0.02, 100, 250), totalFlops: 100 } as RunRecord;
    const mat = [run(0.5, 0.01, 60, 251), run(1.3, 0.05, null, 260)];
    const md = sweepMarkdown({
      preset: 'bert-austen',
      metric: { name: 'perplexity', higherIsBetter: false },
      vanilla,
      mat,
    });
    const rows = md.split('\n').filter((l) => l.startsWith('| '));
    expect(rows).toHaveLength(2 + SWEEP_ALPHAS.length);
    expect(rows[2]).toContain('(60.0 %)');
    expect(rows[2]).toContain('total 80.0 %');
    expect(rows[4]).toContain('V* not reached');
    expect(rows[3]).toContain('—');
  });
});
