/**
 * The comparison's arithmetic, as pure functions of recorded curves (no TF.js, no Node), so the
 * CLI, the unit tests and the lab compute the same numbers.
 *
 * Definitions (docs/method.md, "The claim to reproduce"):
 * - smoothed metric at validation point i: the trailing mean of the raw metric at points
 *   max(0, i − m + 1) … i (m = SMOOTHING_WINDOW). Validation runs on the fixed validation set
 *   every `valEvery` steps, so a trailing mean over points is one over a fixed number of steps;
 * - V* (the target): vanilla's smoothed metric at its last validation point, per seed;
 * - FLOPs to V*: the cumulative charged FLOPs (mNTK evaluations included) at the first
 *   validation point whose smoothed metric is at least as good as V*, or null when none is;
 * - the ratio to vanilla: a policy's FLOPs to V* over vanilla's, with the same seed (same data
 *   order, initialisation and probe); saving = 1 − ratio.
 */
import type { PolicyName } from '../core/config';
import type { MetricInfo } from '../core/families/types';
import type { Curve, PolicySummary, Report, RunRecord, Spread } from './schema';

/** Validation points averaged by the trailing mean (3 points = 3 · valEvery steps). */
export const SMOOTHING_WINDOW = 3;

/** "The claim to reproduce" (docs/method.md): MAT's share of vanilla's FLOPs to V*, at most. */
export const CLAIM_FLOP_RATIO = 0.6;

/** smoothed[i] = mean(values[max(0, i − m + 1) … i]). */
export function trailingMean(values: readonly number[], m: number): number[] {
  if (!Number.isInteger(m) || m < 1) throw new RangeError(`smoothing window must be ≥ 1, got ${m}`);
  // Summed afresh per point (a running sum would drift by rounding; curves are short).
  return values.map((_, i) => {
    const from = Math.max(0, i - m + 1);
    let sum = 0;
    for (let j = from; j <= i; j++) sum += values[j] ?? NaN;
    return sum / (i - from + 1);
  });
}

/** The smoothed metric at the last validation point (NaN for an empty curve). */
export function finalSmoothed(values: readonly number[], m: number): number {
  const s = trailingMean(values, m);
  return s[s.length - 1] ?? NaN;
}

/** Whether `value` is at least as good as `target` (≤ for perplexity, ≥ for accuracy). */
export function reaches(value: number, target: number, higherIsBetter: boolean): boolean {
  return higherIsBetter ? value >= target : value <= target;
}

/** First validation point whose smoothed metric reaches `target`: its step and cumulative FLOPs. */
export function firstReach(
  curve: Curve,
  target: number,
  m: number,
  higherIsBetter: boolean,
): { index: number; step: number; flops: number } | null {
  const smooth = trailingMean(curve.metric, m);
  const i = smooth.findIndex((v) => reaches(v, target, higherIsBetter));
  if (i < 0) return null;
  return { index: i, step: curve.step[i] ?? 0, flops: curve.flops[i] ?? 0 };
}

/** Mean and sample standard deviation (n − 1; 0 when n < 2). NaN mean for no values. */
export function spread(xs: readonly number[]): Spread {
  const n = xs.length;
  if (n === 0) return { mean: NaN, std: 0, n: 0 };
  const mean = xs.reduce((a, b) => a + b, 0) / n;
  if (n < 2) return { mean, std: 0, n };
  const ss = xs.reduce((a, b) => a + (b - mean) ** 2, 0);
  return { mean, std: Math.sqrt(ss / (n - 1)), n };
}

/** Spread, or null when there are no values (a JSON report holds no NaN). */
const spreadOrNull = (xs: readonly number[]): Spread | null => (xs.length > 0 ? spread(xs) : null);

/** 1 − ratio: the share of vanilla's FLOPs a policy did not spend (negative: it spent more). */
export const saving = (ratio: number): number => 1 - ratio;

/**
 * Per-policy summaries over seeds. Ratios pair each run with vanilla's run of the same seed;
 * a seed that did not reach V* (or whose vanilla run is missing) is left out of the FLOPs-to-V*
 * spreads and counted in `reached` only when it did reach.
 */
export function summarise(
  runs: readonly RunRecord[],
  policies: readonly PolicyName[],
): PolicySummary[] {
  const vanillaBySeed = new Map(runs.filter((r) => r.policy === 'vanilla').map((r) => [r.seed, r]));
  return policies.flatMap((policy): PolicySummary[] => {
    const mine = runs.filter((r) => r.policy === policy);
    if (mine.length === 0) return [];
    const reachedRuns = mine.filter((r) => r.flopsToTarget !== null);
    const ratios = reachedRuns.flatMap((r) => {
      const v = vanillaBySeed.get(r.seed)?.flopsToTarget;
      return v !== null && v !== undefined && v > 0 ? [(r.flopsToTarget ?? 0) / v] : [];
    });
    return [
      {
        policy,
        seeds: mine.length,
        finalSmoothed: spread(mine.map((r) => r.finalSmoothed)),
        reached: reachedRuns.length,
        flopsToTarget: spreadOrNull(reachedRuns.map((r) => r.flopsToTarget ?? 0)),
        ratioToVanilla: spreadOrNull(ratios),
        totalFlops: spread(mine.map((r) => r.totalFlops)),
        totalRatio: spread(mine.map((r) => r.totalFlops / r.vanillaTotalFlops)),
        medianStepMs: spread(mine.map((r) => r.timing.medianStepMs)),
        meanStepMs: spread(mine.map((r) => r.timing.meanStepMs)),
        meanUpdatedShare: spread(mine.map((r) => r.meanUpdatedShare)),
      },
    ];
  });
}

/** Whether metric `a` is strictly better than `b`. */
export const better = (a: number, b: number, higherIsBetter: boolean): boolean =>
  higherIsBetter ? a > b : a < b;

/** What the FLOP accounting allows at best: the numbers behind the break-even note. */
export interface BreakEven {
  /** One mNTK evaluation in vanilla steps of FLOPs. */
  evaluationInSteps: number;
  /** Evaluation FLOPs spread over the K steps it decides for, as a share of a vanilla step. */
  overheadPerStep: number;
  /** 1 − (step with every module frozen) / (vanilla step): the most freezing can save. */
  maxFreezeSaving: number;
  /** Charged/vanilla per step with every module frozen and the kernel paid every K steps. */
  bestRatio: number;
}

export function breakEven(
  flops: { perVanillaStep: number; perEvaluation: number; perStepAllFrozen: number },
  K: number,
): BreakEven {
  const evaluationInSteps = flops.perEvaluation / flops.perVanillaStep;
  const overheadPerStep = evaluationInSteps / K;
  const maxFreezeSaving = 1 - flops.perStepAllFrozen / flops.perVanillaStep;
  return {
    evaluationInSteps,
    overheadPerStep,
    maxFreezeSaving,
    bestRatio: 1 - maxFreezeSaving + overheadPerStep,
  };
}

const pct = (x: number) => `${(x * 100).toFixed(1)} %`;

/**
 * Per seed, policy `a`'s final smoothed metric minus policy `b`'s (same seed: same data order,
 * initialisation and probe), over the seeds both ran. Null when they share no seed. Seeds
 * differ far more from each other than policies do, so this is the comparison to read.
 */
export function pairedDifference(
  runs: readonly RunRecord[],
  a: PolicyName,
  b: PolicyName,
): Spread | null {
  const bBySeed = new Map(runs.filter((r) => r.policy === b).map((r) => [r.seed, r.finalSmoothed]));
  const d = runs
    .filter((r) => r.policy === a && bBySeed.has(r.seed))
    .map((r) => r.finalSmoothed - (bBySeed.get(r.seed) ?? NaN));
  return spreadOrNull(d);
}

/** A metric difference in words: "+0.31 ± 1.2" (perplexity) or "−0.4 ± 0.8 pp" (accuracy). */
function formatDifference(d: Spread, metric: MetricInfo): string {
  const scale = metric.name === 'accuracy' ? 100 : 1;
  const signed = (x: number) => `${x > 0 ? '+' : x < 0 ? '−' : ''}${Math.abs(x).toFixed(2)}`;
  const unit = metric.name === 'accuracy' ? ' pp' : '';
  const sd = d.n > 1 ? ` ± ${(d.std * scale).toFixed(2)}` : '';
  return `${signed(d.mean * scale)}${sd}${unit} (${d.n} seed${d.n === 1 ? '' : 's'})`;
}

export interface ClaimResult {
  within60: boolean;
  matRatio: number | null;
  noWorse: boolean;
  beatsRandom: boolean | null;
  reproduced: boolean;
  notes: string[];
}

/**
 * The claim of docs/method.md ("The claim to reproduce") for one preset: MAT reaches V* with
 * ≤ 60 % of vanilla's FLOPs in every seed (on average over the paired ratios), ends no worse than
 * vanilla (mean final smoothed metric), and beats random matched-budget (mean final smoothed
 * metric). The notes add the per-seed paired differences and the break-even arithmetic. Null
 * without vanilla and MAT runs.
 */
export function claimVerdict(
  summary: readonly PolicySummary[],
  runs: readonly RunRecord[],
  metric: MetricInfo,
  be: BreakEven,
  K: number,
): ClaimResult | null {
  const get = (p: PolicyName) => summary.find((s) => s.policy === p);
  const vanilla = get('vanilla');
  const mat = get('mat');
  if (!vanilla || !mat) return null;
  const random = get('random');
  const hib = metric.higherIsBetter;
  const matRatio = mat.ratioToVanilla?.mean ?? null;
  const within60 = mat.reached === mat.seeds && matRatio !== null && matRatio <= CLAIM_FLOP_RATIO;
  const noWorse = !better(vanilla.finalSmoothed.mean, mat.finalSmoothed.mean, hib);
  const beatsRandom = random
    ? better(mat.finalSmoothed.mean, random.finalSmoothed.mean, hib)
    : null;
  const v = (x: number) => x.toPrecision(4);
  const paired = (b: PolicyName) => {
    const d = pairedDifference(runs, 'mat', b);
    return d ? `; per seed, MAT − ${b} = ${formatDifference(d, metric)}` : '';
  };
  const notes: string[] = [];
  notes.push(
    matRatio === null
      ? `MAT did not reach V* in any seed (0/${mat.seeds}).`
      : `MAT reached V* in ${mat.reached}/${mat.seeds} seeds, with ${pct(matRatio)} of vanilla's FLOPs ` +
          `to V* on average over ${mat.reached === mat.seeds ? 'them' : 'those'} ` +
          `(claim: ≤ ${pct(CLAIM_FLOP_RATIO)} in every seed): ${within60 ? 'holds' : 'does not hold'}.`,
  );
  notes.push(
    `Final smoothed ${metric.name} (${hib ? 'higher' : 'lower'} is better): MAT ` +
      `${v(mat.finalSmoothed.mean)} vs vanilla ${v(vanilla.finalSmoothed.mean)}: ` +
      `${noWorse ? 'no worse' : 'worse'}${paired('vanilla')}.`,
  );
  if (random) {
    notes.push(
      `MAT vs random matched-budget: ${v(mat.finalSmoothed.mean)} vs ${v(random.finalSmoothed.mean)}: ` +
        `${beatsRandom ? 'MAT better' : 'MAT not better'}${paired('random')}.`,
    );
  }
  notes.push(
    `Break-even: one mNTK evaluation costs ${be.evaluationInSteps.toFixed(2)} vanilla steps of FLOPs, ` +
      `i.e. +${pct(be.overheadPerStep)} per step at K = ${K}, while freezing every module saves at most ` +
      `${pct(be.maxFreezeSaving)} of a step: MAT's charged FLOPs per step are at least ` +
      `${pct(be.bestRatio)} of vanilla's.`,
  );
  return {
    within60,
    matRatio,
    noWorse,
    beatsRandom,
    reproduced: within60 && noWorse && beatsRandom !== false,
    notes,
  };
}

/**
 * Everything derived from the runs: per-policy summaries and the verdict (the CLI after
 * training, and `--render` after a change to this file).
 */
export function analyseRuns(
  runs: readonly RunRecord[],
  policies: readonly PolicyName[],
  metric: MetricInfo,
  flops: { perVanillaStep: number; perEvaluation: number; perStepAllFrozen: number },
  K: number,
): { summary: PolicySummary[]; claim: ClaimResult | null } {
  const summary = summarise(runs, policies);
  return { summary, claim: claimVerdict(summary, runs, metric, breakEven(flops, K), K) };
}

/**
 * A policy's curve averaged over seeds point by point (validation steps are the same in every
 * seed; cumulative FLOPs differ where decisions differ, so they are averaged too). Curves are
 * cut to the shortest one.
 */
export function meanCurve(curves: readonly Curve[]): Curve {
  if (curves.length === 0) return { step: [], flops: [], metric: [] };
  const n = Math.min(...curves.map((c) => c.step.length));
  const avg = (pick: (c: Curve) => readonly number[], i: number) =>
    curves.reduce((a, c) => a + (pick(c)[i] ?? NaN), 0) / curves.length;
  const out: Curve = { step: [], flops: [], metric: [] };
  for (let i = 0; i < n; i++) {
    out.step.push(curves[0]?.step[i] ?? 0);
    out.flops.push(avg((c) => c.flops, i));
    out.metric.push(avg((c) => c.metric, i));
  }
  return out;
}

/**
 * Share of modules updated averaged over training steps: each evaluation's share holds from its
 * step to the next evaluation (or the end of the run).
 */
export function stepWeightedShare(
  updated: { step: readonly number[]; share: readonly number[] },
  steps: number,
): number {
  if (steps <= 0 || updated.step.length === 0) return 1;
  let total = 0;
  for (let i = 0; i < updated.step.length; i++) {
    const from = Math.min(steps, updated.step[i] ?? 0);
    const to = Math.min(steps, updated.step[i + 1] ?? steps);
    total += Math.max(0, to - from) * (updated.share[i] ?? 1);
  }
  // Before the first evaluation everything trains.
  total += Math.min(steps, updated.step[0] ?? 0);
  return total / steps;
}

/** What the plots draw per policy: the seeds' raw curves and the mean of their smoothed curves. */
export interface PolicyCurves {
  policy: PolicyName;
  /** Each seed's raw validation metric against cumulative FLOPs. */
  seeds: Curve[];
  /** Point by point over seeds: the trailing-mean metric (as V* is defined) and the FLOPs. */
  smoothedMean: Curve;
}

export function policyCurves(report: Pick<Report, 'runs' | 'budget'>): PolicyCurves[] {
  const m = report.budget.smoothing.window;
  return report.budget.policies.flatMap((policy): PolicyCurves[] => {
    const runs = report.runs.filter((r) => r.policy === policy);
    if (runs.length === 0) return [];
    const seeds = runs.map((r) => r.validation);
    const smoothed = seeds.map((c) => ({ ...c, metric: trailingMean(c.metric, m) }));
    return [{ policy, seeds, smoothedMean: meanCurve(smoothed) }];
  });
}

/** V* averaged over seeds (NaN without vanilla runs). */
export function meanTarget(report: Pick<Report, 'runs'>): number {
  const t = report.runs.filter((r) => r.policy === 'vanilla').map((r) => r.target);
  return t.length > 0 ? t.reduce((a, b) => a + b, 0) / t.length : NaN;
}
