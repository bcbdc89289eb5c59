import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, ExperimentSchema, POLICIES } from '../config';
import type { ExperimentConfig } from '../config';
import { testRng } from '../testing/fake-rng';
import type { Decision, DecisionReason, ManualOverride, ModuleInfo, ModuleKind } from '../types';
import { READING_CAVEAT, explainFromInput, explainMat } from './explain';
import { matNumbers, referenceValue, relativeChange } from './mat';
import { decideWithOverrides } from './overrides';
import { OVERRIDE_REASONS } from './reasons';
import { POLICY_REGISTRY, getPolicy, listPolicies } from './registry';
import { POLICY_PARAM_KEYS, policyParams } from './types';
import type { PolicyEvaluation, PolicyInput, PolicyParams } from './types';

const PARAMS: PolicyParams = {
  progSpan: 100,
  alpha: 1,
  beta: 0.1,
  warmup: 0,
  window: 1,
  ref: 'mean',
  stop: 'recheck',
};

function modulesOf(kinds: readonly ModuleKind[]): ModuleInfo[] {
  const count = new Map<ModuleKind, number>();
  return kinds.map((kind) => {
    const index = count.get(kind) ?? 0;
    count.set(kind, index + 1);
    return { id: `${kind}${index}`, kind, layer: 0, index, params: 10 };
  });
}

/** Evaluations every 10 steps from step 0, one λmax row per evaluation. */
function historyOf(rows: readonly (readonly number[])[]): PolicyEvaluation[] {
  return rows.map((row, e) => ({ step: 10 * e, lambdaMax: Float64Array.from(row) }));
}

function input(
  rows: readonly (readonly number[])[],
  opts: {
    kinds?: readonly ModuleKind[];
    params?: Partial<PolicyParams>;
    previous?: Decision[] | null;
    seed?: number;
    step?: number;
  } = {},
): PolicyInput {
  const history = historyOf(rows);
  const width = rows[0]?.length ?? 0;
  return {
    step: opts.step ?? history[history.length - 1]?.step ?? 0,
    modules: modulesOf(opts.kinds ?? Array.from({ length: width }, () => 'head' as const)),
    history,
    previous: opts.previous ?? null,
    params: { ...PARAMS, ...opts.params },
    rng: testRng(opts.seed ?? 1),
  };
}

const reasons = (ds: readonly Decision[]): DecisionReason[] => ds.map((d) => d.reason);
const updating = (ds: readonly Decision[]): boolean[] => ds.map((d) => d.updating);
const mat = (i: PolicyInput) => getPolicy('mat').decide(i);

describe('registry', () => {
  it('registers every policy name with matching name and a plain description', () => {
    for (const name of POLICIES) {
      const policy = POLICY_REGISTRY[name];
      expect(policy.name).toBe(name);
      expect(policy.label.length).toBeGreaterThan(0);
      expect(policy.description.length).toBeGreaterThan(20);
    }
    expect(listPolicies().map((p) => p.name)).toEqual([...POLICIES]);
    expect(getPolicy('vanilla').needsKernel).toBe(false);
    expect(getPolicy('mat').needsKernel).toBe(true);
    expect(getPolicy('random').needsKernel).toBe(true);
  });

  it('has unique names', () => {
    expect(new Set(POLICIES).size).toBe(POLICIES.length);
  });

  it('takes its params from the experiment config, field by field', () => {
    // Every param is a field of the experiment schema (the URL holds it)…
    const fields = Object.keys(ExperimentSchema.shape);
    for (const key of POLICY_PARAM_KEYS) expect(fields).toContain(key);
    // …and the Session's policyParams passes each one through unchanged, and nothing else.
    const config: ExperimentConfig = {
      ...DEFAULT_CONFIG,
      alpha: 1.25,
      beta: 0.125,
      warmup: 7,
      window: 5,
      ref: 'max',
      stop: 'sticky',
      progSpan: 33,
    };
    expect(ExperimentSchema.safeParse(config).success).toBe(true);
    const params = policyParams(config);
    expect(Object.keys(params).sort()).toEqual([...POLICY_PARAM_KEYS].sort());
    for (const key of POLICY_PARAM_KEYS) expect(params[key]).toBe(config[key]);
    expect(params).not.toEqual(policyParams(DEFAULT_CONFIG));
  });

  it('gives only the reasons each policy lists, never an override', () => {
    const kinds: ModuleKind[] = ['head', 'head', 'expert', 'expert'];
    const rows = [
      [1, 9, 2, 8],
      [1, 9.5, 2, 4],
      [1, 9.5, 2, 4],
    ];
    const mixed = [{}, { warmup: 1000 }, { beta: 0 }, { alpha: 0 }, { progSpan: 1, warmup: 5 }];
    for (const policy of listPolicies()) {
      expect(policy.reasons.length).toBeGreaterThan(0);
      for (const r of OVERRIDE_REASONS) expect(policy.reasons).not.toContain(r);
      const seen = new Set<DecisionReason>();
      for (const params of mixed) {
        for (let e = 1; e <= rows.length; e++) {
          for (const d of policy.decide(input(rows.slice(0, e), { kinds, params }))) {
            expect(policy.reasons, policy.name).toContain(d.reason);
            seen.add(d.reason);
          }
        }
      }
      // The legend lists nothing a policy never gives.
      expect([...seen].sort(), policy.name).toEqual([...policy.reasons].sort());
    }
  });
});

describe('vanilla', () => {
  it('updates every module, with no history at all', () => {
    const i = input([], { kinds: ['head', 'head', 'expert'] });
    const ds = getPolicy('vanilla').decide(i);
    expect(ds).toEqual([
      { updating: true, reason: 'all' },
      { updating: true, reason: 'all' },
      { updating: true, reason: 'all' },
    ]);
  });
});

describe('MAT', () => {
  it('trains everything during the warm-up, then decides', () => {
    const rows = [[1, 0.01]];
    expect(reasons(mat(input(rows, { params: { warmup: 50 }, step: 49 })))).toEqual([
      'warmup',
      'warmup',
    ]);
    expect(reasons(mat(input(rows, { params: { warmup: 50 }, step: 50 })))).toEqual([
      'active',
      'frozen-alpha',
    ]);
  });

  it('counts λmax equal to α·ref as active', () => {
    // mean = 2, α = 1 → threshold 2: the module at exactly 2 is active.
    const ds = mat(input([[1, 2, 3]]));
    expect(reasons(ds)).toEqual(['frozen-alpha', 'active', 'active']);
    expect(updating(ds)).toEqual([false, true, true]);
    // α = 0.5 → threshold 1: the module at 1 is active.
    expect(reasons(mat(input([[1, 2, 3]], { params: { alpha: 0.5 } })))).toEqual([
      'active',
      'active',
      'active',
    ]);
  });

  it('makes every module active when α = 0, even with a negative λmax from round-off', () => {
    expect(reasons(mat(input([[-1e-12, 0, 5]], { params: { alpha: 0 } })))).toEqual([
      'active',
      'active',
      'active',
    ]);
  });

  it('computes the reference separately per kind', () => {
    // Heads mean 2, experts mean 20: head 3 is active against heads, although it is small
    // next to the experts; expert 10 is frozen although it is large next to the heads.
    const kinds: ModuleKind[] = ['head', 'expert', 'head', 'expert'];
    const ds = mat(input([[1, 10, 3, 30]], { kinds }));
    expect(reasons(ds)).toEqual(['frozen-alpha', 'frozen-alpha', 'active', 'active']);
    const { refs } = matNumbers(modulesOf(kinds), historyOf([[1, 10, 3, 30]]), PARAMS);
    expect(refs).toEqual(
      new Map([
        ['head', 2],
        ['expert', 20],
      ]),
    );
  });

  it('uses the median and max references', () => {
    // values 1, 2, 9: mean 4, median 2, max 9.
    expect(reasons(mat(input([[1, 2, 9]], { params: { ref: 'median' } })))).toEqual([
      'frozen-alpha',
      'active',
      'active',
    ]);
    expect(reasons(mat(input([[1, 2, 9]], { params: { ref: 'max' } })))).toEqual([
      'frozen-alpha',
      'frozen-alpha',
      'active',
    ]);
    expect(reasons(mat(input([[1, 2, 9]], { params: { ref: 'max', alpha: 0.2 } })))).toEqual([
      'frozen-alpha',
      'active',
      'active',
    ]);
    expect(referenceValue([4, 1, 3, 2], 'median')).toBe(2.5);
    expect(referenceValue([], 'mean')).toBeNaN();
  });

  it('does not stop anything while fewer than w + 1 evaluations exist', () => {
    const rows = [
      [1, 1],
      [1, 1],
      [1, 1],
    ];
    expect(reasons(mat(input(rows, { params: { window: 3 } })))).toEqual(['active', 'active']);
    expect(reasons(mat(input([...rows, [1, 2]], { params: { window: 3 } })))).toEqual([
      'stopped-beta',
      'active',
    ]);
  });

  it('compares with the evaluation w back, not the previous one', () => {
    // Module 0 moved 50% two evaluations ago and not since: settled at w = 1, not at w = 2.
    const rows = [
      [2, 1],
      [3, 1],
      [3, 1],
    ];
    expect(reasons(mat(input(rows, { params: { window: 1, alpha: 0 } })))).toEqual([
      'stopped-beta',
      'stopped-beta',
    ]);
    expect(reasons(mat(input(rows, { params: { window: 2, alpha: 0 } })))).toEqual([
      'active',
      'stopped-beta',
    ]);
  });

  it('stops strictly below β, never with β = 0, and handles λ = 0', () => {
    const rows = [
      [1, 1, 0, 0],
      [1.1, 1, 0, 1],
    ];
    // rel = 0.1 (not < 0.1), 0, 0 (both zero), ∞.
    expect(reasons(mat(input(rows, { params: { alpha: 0, beta: 0.1 } })))).toEqual([
      'active',
      'stopped-beta',
      'stopped-beta',
      'active',
    ]);
    expect(reasons(mat(input(rows, { params: { alpha: 0, beta: 0 } })))).toEqual([
      'active',
      'active',
      'active',
      'active',
    ]);
    expect(relativeChange(1, 0)).toBe(Infinity);
    expect(relativeChange(0, 0)).toBe(0);
  });

  it('gives stopped-β precedence over frozen-α', () => {
    const rows = [
      [1, 9],
      [1, 9],
    ];
    expect(reasons(mat(input(rows)))).toEqual(['stopped-beta', 'stopped-beta']);
    expect(reasons(mat(input(rows, { params: { beta: 0 } })))).toEqual(['frozen-alpha', 'active']);
  });

  it('re-checks stops: a module resumes when it moves again or β is lowered', () => {
    const settled = [
      [1, 1],
      [1.01, 1],
    ];
    const first = mat(input(settled, { params: { alpha: 0 } }));
    expect(reasons(first)).toEqual(['stopped-beta', 'stopped-beta']);
    const moved = [...settled, [2, 1]];
    expect(reasons(mat(input(moved, { params: { alpha: 0 }, previous: first })))).toEqual([
      'active',
      'stopped-beta',
    ]);
    expect(
      reasons(mat(input(settled, { params: { alpha: 0, beta: 0.005 }, previous: first }))),
    ).toEqual(['active', 'stopped-beta']);
  });

  it('keeps sticky stops even when the module moves again or β is lowered', () => {
    const settled = [
      [1, 1],
      [1.01, 1],
    ];
    const params = { alpha: 0, stop: 'sticky' as const };
    const first = mat(input(settled, { params }));
    expect(reasons(first)).toEqual(['stopped-beta', 'stopped-beta']);
    const moved = [...settled, [2, 3]];
    expect(reasons(mat(input(moved, { params, previous: first })))).toEqual([
      'stopped-beta',
      'stopped-beta',
    ]);
    expect(reasons(mat(input(moved, { params: { ...params, beta: 0 }, previous: first })))).toEqual(
      ['stopped-beta', 'stopped-beta'],
    );
    // Without a previous stop, sticky behaves like recheck.
    expect(reasons(mat(input(moved, { params })))).toEqual(['active', 'active']);
  });

  it('treats a NaN λmax as not comparable: active, and left out of the reference', () => {
    const rows = [
      [NaN, 1, 3],
      [NaN, 1, 3],
    ];
    // ref = mean(1, 3) = 2, not NaN.
    const ds = mat(input(rows, { params: { beta: 0 } }));
    expect(reasons(ds)).toEqual(['active', 'frozen-alpha', 'active']);
    // NaN in the past evaluation: not settled.
    expect(
      reasons(
        mat(
          input(
            [
              [NaN, 2],
              [1, 2],
            ],
            { params: { alpha: 0 } },
          ),
        ),
      ),
    ).toEqual(['active', 'stopped-beta']);
    // All NaN, or no evaluation at all: everything active, nothing throws.
    expect(reasons(mat(input([[NaN, NaN]])))).toEqual(['active', 'active']);
    const empty = { ...input([[1, 1]]), history: [] };
    expect(reasons(mat(empty))).toEqual(['active', 'active']);
  });
});

describe('manual overrides', () => {
  it.each(POLICIES)('apply last in %s, during and after warm-up', (name) => {
    const rows = [
      [1, 9, 1],
      [1, 9, 1],
    ];
    const overrides = new Map<string, ManualOverride>([
      ['head0', 'on'],
      ['head1', 'off'],
    ]);
    for (const warmup of [0, 1000]) {
      const ds = decideWithOverrides(
        getPolicy(name),
        input(rows, { params: { warmup } }),
        overrides,
      );
      expect(ds[0]).toEqual({ updating: true, reason: 'forced-on' });
      expect(ds[1]).toEqual({ updating: false, reason: 'forced-off' });
      expect(ds[2]?.reason.startsWith('forced')).toBe(false);
    }
  });
});

describe('random (matched budget)', () => {
  const kinds: ModuleKind[] = [
    'head',
    'head',
    'head',
    'head',
    'expert',
    'expert',
    'expert',
    'head',
  ];
  const rows = [
    [5, 1, 4, 0.5, 10, 1, 20, 3],
    [5.5, 1, 4, 0.6, 10, 2, 25, 3.5],
  ];

  const countPerKind = (ds: readonly Decision[]) => {
    const counts = new Map<ModuleKind, number>();
    ds.forEach((d, i) => {
      const kind = kinds[i] ?? 'head';
      counts.set(kind, (counts.get(kind) ?? 0) + (d.updating ? 1 : 0));
    });
    return counts;
  };

  it('updates exactly as many modules per kind as MAT, for any seed', () => {
    for (const params of [
      {},
      { beta: 0 },
      { alpha: 0 },
      { ref: 'max' as const },
      { beta: 1, alpha: 0 },
    ]) {
      const matCounts = countPerKind(mat(input(rows, { kinds, params })));
      for (let seed = 1; seed <= 50; seed++) {
        const ds = getPolicy('random').decide(input(rows, { kinds, params, seed }));
        expect(countPerKind(ds)).toEqual(matCounts);
        for (const d of ds) expect(d.reason).toBe(d.updating ? 'random-on' : 'random-off');
      }
    }
  });

  it('matches the sticky MAT count by replaying MAT over the history', () => {
    const params = { alpha: 0, stop: 'sticky' as const };
    const sticky = [
      [1, 1, 1],
      [1, 5, 1],
      [9, 9, 9],
    ];
    // MAT replayed: module 0 and 2 stopped at evaluation 1 and stay stopped; 1 stays active.
    const previous = mat(input(sticky.slice(0, 2), { params }));
    expect(reasons(previous)).toEqual(['stopped-beta', 'active', 'stopped-beta']);
    expect(updating(mat(input(sticky, { params, previous })))).toEqual([false, true, false]);
    for (let seed = 1; seed <= 20; seed++) {
      const ds = getPolicy('random').decide(input(sticky, { params, seed }));
      expect(ds.filter((d) => d.updating)).toHaveLength(1);
    }
  });

  it('keeps the warm-up', () => {
    expect(
      reasons(getPolicy('random').decide(input(rows, { kinds, params: { warmup: 100 } }))),
    ).toEqual(kinds.map(() => 'warmup'));
  });

  it('is deterministic per seed and differs across seeds', () => {
    const a = getPolicy('random').decide(input(rows, { kinds, seed: 7 }));
    const b = getPolicy('random').decide(input(rows, { kinds, seed: 7 }));
    expect(a).toEqual(b);
    const patterns = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      patterns.add(updating(getPolicy('random').decide(input(rows, { kinds, seed }))).join());
    }
    expect(patterns.size).toBeGreaterThan(3);
  });

  it('picks each module with its expected frequency (within 5σ)', () => {
    const draws = 4000;
    const matCounts = countPerKind(mat(input(rows, { kinds })));
    const kindSize = new Map<ModuleKind, number>();
    for (const k of kinds) kindSize.set(k, (kindSize.get(k) ?? 0) + 1);
    const hits = new Array<number>(kinds.length).fill(0);
    const rng = testRng(99);
    for (let t = 0; t < draws; t++) {
      const ds = getPolicy('random').decide({ ...input(rows, { kinds }), rng });
      ds.forEach((d, i) => {
        if (d.updating) hits[i] = (hits[i] ?? 0) + 1;
      });
    }
    kinds.forEach((kind, i) => {
      const p = (matCounts.get(kind) ?? 0) / (kindSize.get(kind) ?? 1);
      expect(p).toBeGreaterThan(0);
      expect(p).toBeLessThan(1);
      const sigma = Math.sqrt(draws * p * (1 - p));
      expect(Math.abs((hits[i] ?? 0) - draws * p)).toBeLessThan(5 * sigma);
    });
  });
});

describe('explanation', () => {
  it('states that it is our reading and puts the numbers in', () => {
    const i = input(
      [
        [1, 2, 3],
        [1, 2.1, 3],
      ],
      { params: { alpha: 0.9, beta: 0.01 } },
    );
    const ex = explainFromInput(i);
    expect(ex.caveat).toBe(READING_CAVEAT);
    expect(ex.caveat).toContain('our reading');
    expect(ex.caveat).toContain('not its exact algorithm');
    expect(ex.rules.map((r) => r.title)).toEqual([
      'Warm-up',
      'Modular rule (α)',
      'Temporal rule (β)',
      'Decision',
    ]);
    expect(ex.rules[1]?.words).toContain('α = 0.9');
    expect(ex.kinds).toHaveLength(1);
    expect(ex.kinds[0]?.ref).toBeCloseTo(2.0333333, 6);
    expect(ex.kinds[0]?.line.formula).toBe('α · mean = 0.9 × 2.033 = 1.83');
    expect(ex.modules.map((m) => m.reason)).toEqual(reasons(mat(i)));
    expect(ex.modules[0]?.line.formula).toBe('λmax = 1 < 1.83;  rel = 0 < β = 0.01');
    expect(ex.modules[1]?.line.words).toBe('head1 trains.');
    expect(ex.modules[1]?.line.formula).toBe('λmax = 2.1 ≥ 1.83;  rel = 0.05 ≥ β = 0.01');
    expect(ex.modules[0]?.line.words).toBe('head0 stopped by the temporal rule (β).');
  });

  it('computes a verdict from the numbers when no decision is given', () => {
    const ex = explainMat({
      params: { ...PARAMS, beta: 0 },
      step: 100,
      refs: new Map([['head', 2]]),
      modules: [
        { id: 'a', kind: 'head', lambdaMax: 1, relChange: null },
        { id: 'b', kind: 'head', lambdaMax: NaN, relChange: null },
      ],
    });
    expect(ex.modules.map((m) => m.reason)).toEqual(['frozen-alpha', 'active']);
    expect(ex.modules[1]?.line.formula).toContain('not comparable');
    expect(ex.rules[2]?.words).toContain('nothing ever stops');
  });
});
