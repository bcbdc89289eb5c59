import type { Rng } from '../rng';
import type { Decision, ModuleKind } from '../types';
import { everyModule } from './common';
import { matRule } from './mat';
import type { Policy, PolicyDecision, PolicyInput } from './types';

/**
 * MAT's decisions as MAT itself would have made them on this history. For the sticky stop mode
 * MAT needs its own earlier decisions, which this policy's `previous` does not hold, so they are
 * replayed from the history with the current parameters (earlier α/β changes are not known
 * here). O(evaluations × modules) per call.
 */
function shadowMat(input: PolicyInput): Decision[] {
  const { modules, history, params } = input;
  let previous: Decision[] | null = null;
  if (params.stop === 'sticky') {
    for (let e = 0; e < history.length - 1; e++) {
      const step = history[e]?.step ?? 0;
      previous = matRule(modules, history, params, step, previous, e);
    }
  }
  return matRule(modules, history, params, input.step, previous);
}

/** `k` distinct entries of `items`, uniformly at random (partial Fisher–Yates). */
export function sampleWithoutReplacement(items: readonly number[], k: number, rng: Rng): number[] {
  const pool = [...items];
  const take = Math.min(Math.max(0, k), pool.length);
  for (let i = 0; i < take; i++) {
    const j = i + rng.int(pool.length - i);
    const a = pool[i] ?? 0;
    pool[i] = pool[j] ?? 0;
    pool[j] = a;
  }
  return pool.slice(0, take);
}

/**
 * The control for "λmax picks the right modules": at each evaluation as many modules of each
 * kind are updated as MAT would update, chosen uniformly with the run's RNG. It needs the
 * kernel (to know MAT's count), so it pays for the mNTK evaluations like MAT does.
 */
export const randomPolicy: Policy<'random'> = {
  name: 'random',
  label: 'Random (matched budget)',
  shortLabel: 'random (matched)',
  description:
    'At each evaluation, the same number of modules of each kind as MAT would train are ' +
    'picked at random and trained. If MAT does better than this, λmax is choosing well.',
  needsKernel: true,
  decide: (input) => {
    const { modules } = input;
    if (input.step < input.params.warmup) return everyModule(modules, 'warmup');
    const mat = shadowMat(input);
    const byKind = new Map<ModuleKind, { indices: number[]; budget: number }>();
    modules.forEach((m, i) => {
      const group = byKind.get(m.kind) ?? { indices: [], budget: 0 };
      group.indices.push(i);
      if (mat[i]?.updating === true) group.budget++;
      byKind.set(m.kind, group);
    });
    const chosen = new Set<number>();
    for (const { indices, budget } of byKind.values()) {
      for (const i of sampleWithoutReplacement(indices, budget, input.rng)) chosen.add(i);
    }
    return modules.map((_, i): PolicyDecision =>
      chosen.has(i)
        ? { updating: true, reason: 'random-on' }
        : { updating: false, reason: 'random-off' },
    );
  },
  reasons: ['warmup', 'random-on', 'random-off'],
  plot: { colour: '#c2410c', dash: '7 4' },
  sliderNote: 'Random picks as many modules as MAT would, so α and β set how many.',
  explainNote: ({ many }) => ({
    lead: 'This run is the random control:',
    text:
      `at each evaluation it trains, per kind, as many ${many} as the rules below would, picked ` +
      "uniformly at random with the run's seed. It tests whether λmax picks the right ones.",
  }),
  // Its budget is MAT's, which changes at every evaluation.
  equivalentK: (base) => base.K,
};
