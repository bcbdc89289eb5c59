/**
 * Text for the interface's "How MAT decides" panel: the rules in plain words with their
 * formulas, and the current numbers plugged in. It describes OUR reading of the paper
 * (docs/method.md, "Policies"), which the interface must never present as the paper's exact
 * algorithm.
 */
import { moduleKindInfo } from '../families/module-kinds';
import type { Decision, DecisionReason, ModuleKind } from '../types';
import { matNumbers, matRule, matVerdict, moduleNumbers } from './mat';
import { REASONS } from './reasons';
import type { PolicyInput, PolicyParams } from './types';

export const READING_CAVEAT =
  'This is our reading of the MAT paper (Shi et al., NeurIPS 2023), not its exact algorithm: ' +
  'the paper’s precise α/β formulas were not available to us, so the choices below are ours ' +
  'and every constant is configurable.';

/** A rule or a worked line: plain words plus the formula they describe. */
export interface ExplainLine {
  title: string;
  words: string;
  formula: string;
}

export interface KindExplanation {
  kind: ModuleKind;
  /** The reference statistic of λmax over this kind (NaN when none is comparable). */
  ref: number;
  /** α · ref. */
  threshold: number;
  line: ExplainLine;
}

export interface ModuleExplanation {
  id: string;
  kind: ModuleKind;
  reason: DecisionReason;
  updating: boolean;
  line: ExplainLine;
}

export interface MatExplanation {
  caveat: string;
  /** The rules with the current constants, in the order they are applied. */
  rules: ExplainLine[];
  /** True while the warm-up holds: nothing below is applied yet. */
  inWarmup: boolean;
  kinds: KindExplanation[];
  modules: ModuleExplanation[];
}

/** The current numbers of one module, as shown in the panel. */
export interface ExplainModule {
  id: string;
  kind: ModuleKind;
  /** λmax_m at the current evaluation. */
  lambdaMax: number;
  /** rel_m = |λ_m(e) − λ_m(e−w)| / λ_m(e−w); null with fewer than w + 1 evaluations. */
  relChange: number | null;
  /** The decision in force, when known (it may differ through sticky stops or overrides). */
  decision?: Decision;
}

export interface ExplainInput {
  params: PolicyParams;
  /** Completed training steps. */
  step: number;
  /** The reference value per kind at the current evaluation. */
  refs: ReadonlyMap<ModuleKind, number>;
  modules: readonly ExplainModule[];
}

/** A number for display: 4 significant digits, ∞ and NaN spelled out. */
export function fmt(x: number): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return x > 0 ? '∞' : '−∞';
  return String(Number(x.toPrecision(4)));
}

const REF_WORDS: Record<PolicyParams['ref'], string> = {
  mean: 'the mean',
  median: 'the median',
  max: 'the largest',
};

/**
 * "(neurons are compared with neurons)", "(attention heads are compared with attention heads,
 * experts with experts)": the run's own module kinds; without them, in general words.
 */
function compareWords(kinds: readonly ModuleKind[]): string {
  const unique = [...new Set(kinds)];
  if (unique.length === 0) return 'each kind is compared only with its own kind';
  return unique
    .map((k, i) => {
      const many = moduleKindInfo(k).many;
      return i === 0 ? `${many} are compared with ${many}` : `${many} with ${many}`;
    })
    .join(', ');
}

/** The rules with the current constants plugged in, worded for the run's module kinds. */
export function matRules(params: PolicyParams, kinds: readonly ModuleKind[] = []): ExplainLine[] {
  const { alpha, beta, warmup, window: w, ref, stop } = params;
  return [
    {
      title: 'Warm-up',
      words: `For the first ${warmup} steps every module is trained.`,
      formula: `step < W0 = ${warmup} ⇒ update every module`,
    },
    {
      title: 'Modular rule (α)',
      words:
        `A module keeps training while its largest kernel eigenvalue λmax is at least α = ${fmt(alpha)} ` +
        `times ${REF_WORDS[ref]} λmax of the modules of its kind (${compareWords(kinds)}). ` +
        `Equal counts as enough.` +
        (alpha === 0 ? ' With α = 0 every module passes.' : ''),
      formula: `active_m ⇔ λmax_m ≥ α · ${ref}{λmax_j : kind_j = kind_m}`,
    },
    {
      title: 'Temporal rule (β)',
      words:
        `A module stops once its λmax has settled: it changed by less than β = ${fmt(beta)} ` +
        `(relative) over the last ${w} evaluation${w === 1 ? '' : 's'}. Until ${w + 1} evaluations ` +
        `exist nothing stops.` +
        (beta === 0 ? ' With β = 0 nothing ever stops.' : '') +
        (stop === 'sticky'
          ? ' Stops are sticky: a stopped module stays stopped.'
          : ' Stops are re-checked at every evaluation: a module resumes when its λmax moves again or β is lowered.'),
      formula: `stopped_m ⇔ |λ_m(e) − λ_m(e−${w})| / λ_m(e−${w}) < β`,
    },
    {
      title: 'Decision',
      words:
        'A module is trained until the next evaluation if it is active and not stopped. A manual ' +
        'override wins over both rules. A λmax that is not a finite number is not compared: its ' +
        'module keeps training.',
      formula: 'update_m = active_m ∧ ¬stopped_m   (override > stopped-β > frozen-α > active)',
    },
  ];
}

/** The panel's content for the given constants and current numbers. */
export function explainMat(input: ExplainInput): MatExplanation {
  const { params } = input;
  const inWarmup = input.step < params.warmup;
  const kinds = [...input.refs].map(([kind, ref]): KindExplanation => {
    const threshold = params.alpha * ref;
    return {
      kind,
      ref,
      threshold,
      line: {
        title: moduleKindInfo(kind).many,
        words: `${REF_WORDS[params.ref]} λmax among the ${moduleKindInfo(kind).many} is ${fmt(ref)}, so the bar is ${fmt(threshold)}.`,
        formula: `α · ${params.ref} = ${fmt(params.alpha)} × ${fmt(ref)} = ${fmt(threshold)}`,
      },
    };
  });
  const modules = input.modules.map((m): ModuleExplanation => {
    const numbers = moduleNumbers(m.lambdaMax, input.refs.get(m.kind) ?? NaN, m.relChange, params);
    const { threshold } = numbers;
    // The decision in force when known; else MAT's, from the same numbers.
    const d: Decision =
      m.decision ?? (inWarmup ? { updating: true, reason: 'warmup' } : matVerdict(numbers));
    const cmp = !Number.isFinite(m.lambdaMax)
      ? '(not comparable)'
      : m.lambdaMax >= threshold
        ? '≥'
        : '<';
    const rel =
      m.relChange === null
        ? `rel: fewer than ${params.window + 1} evaluations`
        : `rel = ${fmt(m.relChange)} ${m.relChange < params.beta ? '<' : '≥'} β = ${fmt(params.beta)}`;
    return {
      id: m.id,
      kind: m.kind,
      reason: d.reason,
      updating: d.updating,
      line: {
        title: m.id,
        words: `${m.id} ${REASONS[d.reason].verdict}.`,
        formula: `λmax = ${fmt(m.lambdaMax)} ${cmp} ${fmt(threshold)};  ${rel}`,
      },
    };
  });
  return {
    caveat: READING_CAVEAT,
    rules: matRules(
      params,
      input.modules.map((m) => m.kind),
    ),
    inWarmup,
    kinds,
    modules,
  };
}

/** {@link explainMat} with the numbers computed from a policy input as MAT computes them. */
export function explainFromInput(
  input: PolicyInput,
  decisions?: readonly Decision[],
): MatExplanation {
  const numbers = matNumbers(input.modules, input.history, input.params);
  const inForce =
    decisions ?? matRule(input.modules, input.history, input.params, input.step, input.previous);
  return explainMat({
    params: input.params,
    step: input.step,
    refs: numbers.refs,
    modules: input.modules.map((m, i) => {
      const n = numbers.modules[i];
      const d = inForce[i];
      return {
        id: m.id,
        kind: m.kind,
        lambdaMax: n?.lambdaMax ?? NaN,
        relChange: n?.relChange ?? null,
        ...(d ? { decision: d } : {}),
      };
    }),
  });
}
