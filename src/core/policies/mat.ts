/**
 * MAT as this lab reads the paper (docs/method.md, "Policies"); the paper's exact α/β formulas
 * are not available to us, so every choice below is ours and is shown in the interface.
 *
 * - Warm-up: while fewer than W0 = `warmup` steps are done, every module is updated.
 * - Modular rule (α): per kind (heads with heads, experts with experts), ref is the mean, median
 *   or max of λmax over that kind's modules at the current evaluation; module m is active iff
 *   λmax_m ≥ α · ref (equality counts as active; α = 0 makes every module active).
 * - Temporal rule (β): with w = `window` evaluations, rel_m = |λ_m(e) − λ_m(e−w)| / λ_m(e−w)
 *   (λ_m(e−w) = 0: rel = 0 if λ_m(e) = 0 too, else ∞); m is settled iff rel_m < β. With fewer
 *   than w + 1 evaluations nothing is settled; β = 0 never stops anything.
 * - `stop: 'recheck'` applies the temporal rule afresh at every evaluation, so a stopped module
 *   resumes when its λmax moves again or β is lowered; `'sticky'`: a module whose decision in
 *   force is `stopped-beta` stays stopped.
 * - updating = active and not stopped; reasons by precedence: stopped-beta > frozen-alpha >
 *   active (manual overrides win over all of them; the Session applies them after MAT).
 * - A λmax that is NaN or ±∞ is not comparable: it is left out of its kind's ref, and its module
 *   is neither frozen nor settled (reason `active`), unless a sticky stop already holds it.
 */
import type { ExperimentConfig } from '../config';
import type { Decision, ModuleKind } from '../types';
import { everyModule } from './common';
import type { Policy, PolicyDecision, PolicyEvaluation, PolicyInput, PolicyParams } from './types';

/** The statistic of λmax over one kind's modules that α multiplies. NaN when `values` is empty. */
export function referenceValue(values: readonly number[], ref: ExperimentConfig['ref']): number {
  const n = values.length;
  if (n === 0) return NaN;
  if (ref === 'max') return Math.max(...values);
  if (ref === 'mean') return values.reduce((s, v) => s + v / n, 0);
  const sorted = [...values].sort((a, b) => a - b);
  const hi = sorted[n >> 1] ?? NaN;
  return n % 2 === 1 ? hi : ((sorted[(n >> 1) - 1] ?? NaN) + hi) / 2;
}

/**
 * Relative change |now − before| / |before| of λmax over the look-back window: 0 when both are
 * 0, ∞ when only `before` is 0, NaN when either is not finite.
 */
export function relativeChange(now: number, before: number): number {
  if (!Number.isFinite(now) || !Number.isFinite(before)) return NaN;
  if (before === 0) return now === 0 ? 0 : Infinity;
  return Math.abs(now - before) / Math.abs(before);
}

/** The numbers behind MAT's decision for one module at one evaluation. */
export interface MatModuleNumbers {
  /** λmax_m at the current evaluation (NaN when there is none). */
  lambdaMax: number;
  /** Whether λmax_m is finite and so takes part in the rules. */
  comparable: boolean;
  /** ref of the module's kind (NaN when no module of the kind has a comparable λmax). */
  ref: number;
  /** α · ref: the modular threshold. */
  threshold: number;
  /** rel_m over the last w evaluations; null when there are fewer than w + 1 evaluations. */
  relChange: number | null;
  /** Modular rule: λmax_m ≥ α · ref (or α = 0, or not comparable). */
  active: boolean;
  /** Temporal rule: rel_m < β (never when β = 0 or not comparable). */
  settled: boolean;
}

export interface MatNumbers {
  /** ref per kind present among the modules. */
  refs: Map<ModuleKind, number>;
  /** In `modules` order. */
  modules: MatModuleNumbers[];
}

/** MAT's numbers at evaluation `index` of `history` (default: the last one). */
export function matNumbers(
  modules: PolicyInput['modules'],
  history: readonly PolicyEvaluation[],
  params: PolicyParams,
  index: number = history.length - 1,
): MatNumbers {
  const current = history[index]?.lambdaMax;
  const past = history[index - params.window]?.lambdaMax;
  const lambda = (i: number): number => current?.[i] ?? NaN;

  const byKind = new Map<ModuleKind, number[]>();
  modules.forEach((m, i) => {
    const v = lambda(i);
    const list = byKind.get(m.kind) ?? [];
    if (Number.isFinite(v)) list.push(v);
    byKind.set(m.kind, list);
  });
  const refs = new Map<ModuleKind, number>();
  for (const [kind, values] of byKind) refs.set(kind, referenceValue(values, params.ref));

  const numbers = modules.map((m, i): MatModuleNumbers => {
    const v = lambda(i);
    const relChange = index - params.window >= 0 ? relativeChange(v, past?.[i] ?? NaN) : null;
    return moduleNumbers(v, refs.get(m.kind) ?? NaN, relChange, params);
  });
  return { refs, modules: numbers };
}

/**
 * The modular and temporal rules for one module: its λmax, its kind's ref, and its relative
 * change over the window (null with fewer than w + 1 evaluations).
 */
export function moduleNumbers(
  lambdaMax: number,
  ref: number,
  relChange: number | null,
  params: Pick<PolicyParams, 'alpha' | 'beta'>,
): MatModuleNumbers {
  const comparable = Number.isFinite(lambdaMax);
  const threshold = params.alpha * ref;
  const active =
    params.alpha === 0 || !comparable || !Number.isFinite(threshold) || lambdaMax >= threshold;
  const settled = params.beta > 0 && comparable && relChange !== null && relChange < params.beta;
  return { lambdaMax, comparable, ref, threshold, relChange, active, settled };
}

/**
 * MAT's decision for one module from its rules, by precedence stopped-β > frozen-α > active;
 * `stickyStop`: a sticky stop holds the module whatever its numbers.
 */
export function matVerdict(
  n: Pick<MatModuleNumbers, 'active' | 'settled'>,
  stickyStop = false,
): PolicyDecision {
  if (stickyStop || n.settled) return { updating: false, reason: 'stopped-beta' };
  if (!n.active) return { updating: false, reason: 'frozen-alpha' };
  return { updating: true, reason: 'active' };
}

/**
 * MAT's rule at evaluation `index` of `history`. `previous` are the decisions in force before it
 * (only read for sticky stops).
 */
export function matRule(
  modules: PolicyInput['modules'],
  history: readonly PolicyEvaluation[],
  params: PolicyParams,
  step: number,
  previous: readonly Decision[] | null,
  index: number = history.length - 1,
): PolicyDecision[] {
  if (step < params.warmup) return everyModule(modules, 'warmup');
  const { modules: numbers } = matNumbers(modules, history, params, index);
  return numbers.map((n, i) =>
    matVerdict(n, params.stop === 'sticky' && previous?.[i]?.reason === 'stopped-beta'),
  );
}

export const matPolicy: Policy<'mat'> = {
  name: 'mat',
  label: 'MAT',
  shortLabel: 'MAT',
  description:
    'After a warm-up, a module is trained only while its largest kernel eigenvalue λmax is at ' +
    'least α times the typical λmax of its kind (modular rule), and stops once its λmax has ' +
    'settled, changing by less than β over the last w evaluations (temporal rule). This is our ' +
    'reading of the paper, not its exact algorithm.',
  needsKernel: true,
  decide: (input) =>
    matRule(input.modules, input.history, input.params, input.step, input.previous),
  reasons: ['warmup', 'active', 'frozen-alpha', 'stopped-beta'],
  plot: { colour: '#1d4ed8', dash: '' },
  sliderNote: null,
  // The explanation panel is MAT's own.
  explainNote: null,
  // Its decisions may change at every evaluation.
  equivalentK: (base) => base.K,
};
