/**
 * One reproduce run: a Session of the lab's `src/core` trained for a fixed budget, validated
 * every `valEvery` steps, timed, and recorded as a RunRecord (without V*, which needs vanilla's
 * run of the same seed; `withTarget` fills it in). The backend must be set before.
 */
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../core/config';
import { Session } from '../core/session';
import type { TaskData } from '../core/families';
import type { ModuleInfo } from '../core/types';
import { finalSmoothed, firstReach, stepWeightedShare } from './analyse';
import type { RunRecord } from './schema';

/** Pushed after every step (for the progress bar). */
export interface RunProgress {
  step: number;
  steps: number;
  /** Latest validation metric, NaN before the first. */
  metric: number;
  /** Training ms per step so far (evaluations the policy needs included). */
  msPerStep: number;
}

/** What a run of a preset needs to know before it starts, from a throwaway Session. */
export interface PresetFacts {
  modules: ModuleInfo[];
  metric: { name: 'perplexity' | 'accuracy'; higherIsBetter: boolean };
  flops: { perVanillaStep: number; perEvaluation: number; perStepAllFrozen: number };
  /** Distinct layers of modules (the progressive schedule freezes them in this order). */
  depth: number;
}

/**
 * Reads the facts, and warms the backend up with a few untimed steps, an evaluation and a
 * validation: the first run of a process would otherwise pay for kernel compilation and
 * allocation (measured: vanilla's median step 395 ms against 240 ms for the runs after it).
 */
export async function presetFacts(
  config: ExperimentConfig,
  data: TaskData,
  warmUpSteps = 3,
): Promise<PresetFacts> {
  const s = new Session(config, data);
  try {
    for (let i = 0; i < warmUpSteps; i++) {
      const r = await s.advance();
      await r.loss.data();
      r.loss.dispose();
    }
    await s.validate();
    return {
      modules: s.modules.map((m) => ({ ...m })),
      metric: { ...s.task.metric },
      flops: {
        perVanillaStep: s.flopsPerVanillaStep,
        perEvaluation: s.flopsPerEvaluation,
        perStepAllFrozen: s.task.stepFlops(s.modules.map(() => false)).total,
      },
      depth: new Set(s.modules.map((m) => m.layer)).size,
    };
  } finally {
    s.dispose();
  }
}

const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return 0;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? 0;
};

export class NonFiniteMetricError extends Error {
  override name = 'NonFiniteMetricError';
}

/** A run before V* is known: everything but the target-dependent fields. */
export type RawRun = Omit<RunRecord, 'target' | 'flopsToTarget' | 'stepsToTarget'>;

/**
 * Trains `config` for `steps` steps. Losses are read every step (a sync point, so the measured
 * step time is the step's and not its dispatch) and disposed; the Session is disposed at the
 * end, and the tensor count before and after is recorded.
 */
export async function runOnce(
  config: ExperimentConfig,
  data: TaskData,
  opts: RunOptions,
): Promise<RawRun> {
  const before = tf.memory().numTensors;
  const run = await train(config, data, opts);
  return { ...run, leakedTensors: tf.memory().numTensors - before };
}

interface RunOptions {
  steps: number;
  /** Trailing-mean window for `finalSmoothed`. */
  smoothing: number;
  onProgress?: (p: RunProgress) => void;
}

async function train(config: ExperimentConfig, data: TaskData, opts: RunOptions): Promise<RawRun> {
  const t0 = performance.now();
  const s = new Session(config, data);
  const needsKernel = s.policy.needsKernel;
  const curve = { step: [] as number[], flops: [] as number[], metric: [] as number[] };
  const updated = { step: [] as number[], share: [] as number[] };
  const lambda: NonNullable<RunRecord['lambda']> = { step: [], lambdaMax: [], updating: [] };
  const plainStepMs: number[] = [];
  let trainMs = 0;
  let evalMs = 0;
  let evaluations = 0;
  let charged = 0;
  let vanilla = 0;
  let lastMetric = NaN;
  try {
    const validate = async (step: number) => {
      const v = await s.validate();
      if (!Number.isFinite(v)) {
        throw new NonFiniteMetricError(
          `The ${config.policy} run (seed ${config.seed}) got a validation ${s.task.metric.name} of ${v} at step ${step}; the run diverged.`,
        );
      }
      curve.step.push(step);
      curve.flops.push(charged);
      curve.metric.push(v);
      lastMetric = v;
    };
    await validate(0);
    for (let i = 0; i < opts.steps; i++) {
      const a = performance.now();
      const r = await s.advance();
      await r.loss.data();
      r.loss.dispose();
      const dt = performance.now() - a;
      charged += r.flops;
      vanilla += r.vanillaFlops;
      if (r.evaluation) {
        // A kernel the policy does not need is neither charged nor timed.
        if (needsKernel) {
          evaluations++;
          evalMs += r.evaluation.ms;
          trainMs += dt;
        } else {
          trainMs += dt - r.evaluation.ms;
        }
        const share = s.decisions.filter((d) => d.updating).length / Math.max(1, s.modules.length);
        updated.step.push(r.evaluation.step);
        updated.share.push(share);
        if (config.policy === 'mat') {
          lambda.step.push(r.evaluation.step);
          lambda.lambdaMax.push(
            Array.from(r.evaluation.lambdaMax, (v) => (Number.isFinite(v) ? v : null)),
          );
          lambda.updating.push(s.decisions.map((d) => d.updating));
        }
      } else {
        trainMs += dt;
        plainStepMs.push(dt);
      }
      if (r.step % config.valEvery === 0 || r.step === opts.steps) await validate(r.step);
      opts.onProgress?.({
        step: r.step,
        steps: opts.steps,
        metric: lastMetric,
        msPerStep: trainMs / r.step,
      });
    }
    const meanUpdatedShare = stepWeightedShare(updated, opts.steps);
    return {
      policy: config.policy,
      seed: config.seed,
      config,
      steps: opts.steps,
      validation: curve,
      finalMetric: curve.metric[curve.metric.length - 1] ?? NaN,
      finalSmoothed: finalSmoothed(curve.metric, opts.smoothing),
      totalFlops: charged,
      vanillaTotalFlops: vanilla,
      chargedEvaluations: evaluations,
      timing: {
        medianStepMs: median(plainStepMs),
        meanStepMs: trainMs / Math.max(1, opts.steps),
        evaluationMs: needsKernel && evaluations > 0 ? evalMs / evaluations : null,
        wallMs: performance.now() - t0,
      },
      updated,
      meanUpdatedShare,
      lambda: config.policy === 'mat' ? lambda : null,
      leakedTensors: 0,
    };
  } finally {
    s.dispose();
  }
}

/** The run with V* (vanilla's final smoothed metric, same seed) and the FLOPs to reach it. */
export function withTarget(
  run: RawRun,
  target: number,
  smoothing: number,
  higherIsBetter: boolean,
): RunRecord {
  const hit = firstReach(run.validation, target, smoothing, higherIsBetter);
  return { ...run, target, flopsToTarget: hit?.flops ?? null, stepsToTarget: hit?.step ?? null };
}
