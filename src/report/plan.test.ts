import { describe, expect, it } from 'vitest';
import { presetConfig } from '../core/presets';
import { freezeStep, gcd } from '../core/policies/progressive';
import {
  budgetFor,
  FULL_BUDGETS,
  parsePolicies,
  policyK,
  progressiveSpan,
  QUICK_BUDGET,
  REPRODUCE_PRESETS,
  reproduceConfig,
} from './plan';

/** Step at which a decision taken "at the first evaluation at or after s" takes effect with interval K. */
const effective = (s: number, K: number) => Math.ceil(s / K) * K;

describe('reproduce plan', () => {
  it('has a budget for every reproduce preset', () => {
    for (const id of REPRODUCE_PRESETS) expect(FULL_BUDGETS[id]?.steps).toBeGreaterThan(0);
    expect(budgetFor('bert-austen', true)).toBe(QUICK_BUDGET);
  });

  it('spreads the progressive schedule over the budget in multiples of K', () => {
    // bert: (200 − 50) / (3 · 10) = 5 → 50: layers freeze at 100 and 150.
    expect(progressiveSpan(200, 50, 2, 10)).toBe(50);
    // Never 0, even when the budget is shorter than the warm-up.
    expect(progressiveSpan(12, 10, 2, 10)).toBe(10);
    expect(gcd(50, 20)).toBe(10);
    expect(gcd(40, 0)).toBe(40);
  });

  it('gives progressive a longer interval only when every freeze step stays the same', () => {
    for (const [warmup, progSpan, K] of [
      [50, 50, 10],
      [50, 20, 10],
      [40, 490, 10],
      [45, 30, 10],
      [10, 10, 10],
    ] as const) {
      const K2 = policyK('progressive', { K, warmup, progSpan }, 1000);
      expect(K2 % K).toBe(0);
      for (let depth = 0; depth < 6; depth++) {
        const s = freezeStep(depth, { warmup, progSpan });
        expect(effective(s, K2), `W0 ${warmup}, span ${progSpan}, depth ${depth}`).toBe(
          effective(s, K),
        );
      }
    }
    expect(policyK('progressive', { K: 10, warmup: 50, progSpan: 50 }, 200)).toBe(50);
    expect(policyK('vanilla', { K: 10, warmup: 50, progSpan: 50 }, 200)).toBe(200);
    expect(policyK('vanilla', { K: 10, warmup: 50, progSpan: 50 }, 5000)).toBe(1000);
    expect(policyK('mat', { K: 10, warmup: 50, progSpan: 50 }, 200)).toBe(10);
    expect(policyK('random', { K: 7, warmup: 50, progSpan: 50 }, 200)).toBe(7);
  });

  it('keeps the preset defaults and overrides only budget, seed, backend and schedule', () => {
    const base = presetConfig('bert-austen')!;
    const c = reproduceConfig(base, {
      policy: 'mat',
      seed: 3,
      budget: { steps: 200, valEvery: 10 },
      depth: 2,
      backend: 'wasm',
    });
    expect(c).toMatchObject({
      alpha: base.alpha,
      beta: base.beta,
      K: base.K,
      warmup: base.warmup,
      lr: base.lr,
    });
    expect(c).toMatchObject({
      seed: 3,
      valEvery: 10,
      backend: 'wasm',
      progSpan: 50,
      policy: 'mat',
      events: [],
    });
    const quick = reproduceConfig(base, {
      policy: 'random',
      seed: 1,
      budget: QUICK_BUDGET,
      depth: 2,
      backend: 'cpu',
    });
    expect(quick.warmup).toBe(10);
  });

  it('parses --policies, canonical order, vanilla required', () => {
    expect(parsePolicies('mat, vanilla')).toEqual(['vanilla', 'mat']);
    expect(() => parsePolicies('mat,random')).toThrow(/include vanilla/);
    expect(() => parsePolicies('vanilla,magic')).toThrow(/unknown policy magic/);
  });
});
