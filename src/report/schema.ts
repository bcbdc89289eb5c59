/**
 * The report file `npm run reproduce` writes per preset (`reports/<date>-<preset>/report.json`)
 * and the lab loads next to a live run. Shared by the CLI and the UI, so no Node imports here.
 *
 * Every number of the comparison is in it: per run the validation curve against cumulative
 * charged FLOPs, the final and smoothed metric, FLOPs to vanilla's target V*, total FLOPs,
 * measured step times, the share of modules updated at each evaluation and (MAT) the λmax
 * history; per policy the same over seeds as mean ± standard deviation; and the verdict on
 * the claim of docs/method.md ("The claim to reproduce").
 */
import { z } from 'zod';
import { ExperimentSchema, POLICIES } from '../core/config';
import { MODULE_KIND_NAMES } from '../core/families/module-kinds';

export const REPORT_FORMAT = 'mat-lab-report';
export const REPORT_FORMAT_VERSION = 1;

/** Largest report accepted by the lab (the full run's largest is well under 1 MB). */
export const MAX_REPORT_BYTES = 20 * 1024 * 1024;

const num = z.number();
const nonNeg = z.number().min(0);
const int = z.number().int().min(0);

/** Mean and sample standard deviation (n − 1 in the denominator; 0 when n < 2) over seeds. */
export const SpreadSchema = z.object({ mean: num, std: nonNeg, n: int });
export type Spread = z.infer<typeof SpreadSchema>;

/** Validation points of one run: after `step` steps, `flops` charged so far, `metric`. */
const CurveSchema = z
  .object({ step: z.array(int), flops: z.array(nonNeg), metric: z.array(num) })
  .refine((c) => c.step.length === c.flops.length && c.step.length === c.metric.length, {
    message: 'step, flops and metric must have the same length',
  });
export type Curve = z.infer<typeof CurveSchema>;

const ModuleSchema = z.object({
  id: z.string().max(32),
  kind: z.enum(MODULE_KIND_NAMES),
  layer: int,
  index: int,
  params: int,
});

export const RunRecordSchema = z.object({
  policy: z.enum(POLICIES),
  seed: int,
  /** The run's full configuration (reproduce overrides applied). */
  config: ExperimentSchema,
  steps: int,
  validation: CurveSchema,
  /** Raw metric at the last validation, and the trailing mean there. */
  finalMetric: num,
  finalSmoothed: num,
  /** V*: the final smoothed metric of vanilla with the same seed. */
  target: num,
  /** Cumulative charged FLOPs (mNTK included) at the first validation whose smoothed metric reaches V*; null: never. */
  flopsToTarget: nonNeg.nullable(),
  stepsToTarget: int.nullable(),
  /** All FLOPs charged over the run, and what vanilla spends for the same steps. */
  totalFlops: nonNeg,
  vanillaTotalFlops: nonNeg,
  /** mNTK evaluations charged to the run (0 for policies that need no kernel). */
  chargedEvaluations: int,
  timing: z.object({
    /** Median wall-clock ms of a training step without an evaluation. */
    medianStepMs: nonNeg,
    /** Training wall-clock per step including the evaluations the policy needs (not validation). */
    meanStepMs: nonNeg,
    /** Mean ms of one mNTK evaluation; null when the policy needs none. */
    evaluationMs: nonNeg.nullable(),
    /** The whole run: training, evaluations, validations. */
    wallMs: nonNeg,
  }),
  /** Share of modules updated from each evaluation on (decisions hold until the next one). */
  updated: z
    .object({ step: z.array(int), share: z.array(z.number().min(0).max(1)) })
    .refine((u) => u.step.length === u.share.length, { message: 'step and share lengths differ' }),
  /** Share of modules updated, averaged over training steps. */
  meanUpdatedShare: z.number().min(0).max(1),
  /** λmax per evaluation and module, and the decisions taken on it (MAT runs only). */
  lambda: z
    .object({
      step: z.array(int),
      lambdaMax: z.array(z.array(num.nullable())),
      updating: z.array(z.array(z.boolean())),
    })
    .nullable(),
  /** tf.memory().numTensors after the run's Session was disposed, minus before it was made. */
  leakedTensors: z.number().int(),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

export const PolicySummarySchema = z.object({
  policy: z.enum(POLICIES),
  seeds: int,
  finalSmoothed: SpreadSchema,
  /** Seeds whose smoothed metric reached V*. */
  reached: int,
  /** Over the seeds that reached V*. */
  flopsToTarget: SpreadSchema.nullable(),
  /** flopsToTarget / vanilla's flopsToTarget of the same seed, over seeds that reached. */
  ratioToVanilla: SpreadSchema.nullable(),
  totalFlops: SpreadSchema,
  /** totalFlops / vanilla's totalFlops (same steps). */
  totalRatio: SpreadSchema,
  medianStepMs: SpreadSchema,
  meanStepMs: SpreadSchema,
  meanUpdatedShare: SpreadSchema,
});
export type PolicySummary = z.infer<typeof PolicySummarySchema>;

export const ClaimSchema = z.object({
  /** MAT reached V* in every seed with mean FLOPs ≤ 60 % of vanilla's (to V*). */
  within60: z.boolean(),
  /** Mean of MAT's paired FLOPs-to-V* ratios; null when MAT reached V* in no seed. */
  matRatio: num.nullable(),
  /** MAT's mean final smoothed metric is at least as good as vanilla's. */
  noWorse: z.boolean(),
  /** MAT's mean final smoothed metric is better than random matched-budget's; null without a random run. */
  beatsRandom: z.boolean().nullable(),
  reproduced: z.boolean(),
  /** Sentences: what held, what did not, and the break-even arithmetic. */
  notes: z.array(z.string().max(1000)).max(20),
});
export type Claim = z.infer<typeof ClaimSchema>;

export const ReportSchema = z.object({
  format: z.literal(REPORT_FORMAT),
  version: z.number().int().min(1).max(REPORT_FORMAT_VERSION),
  createdAt: z.string().max(64),
  /** The command line that produced the report. */
  command: z.string().max(2000),
  quick: z.boolean(),
  preset: z.object({ id: z.string().max(64), label: z.string().max(200) }),
  metric: z.object({ name: z.enum(['perplexity', 'accuracy']), higherIsBetter: z.boolean() }),
  budget: z.object({
    steps: int,
    valEvery: z.number().int().min(1),
    seeds: z.array(int).min(1),
    policies: z.array(z.enum(POLICIES)).min(1),
    /** Trailing mean of the last `window` validation points. */
    smoothing: z.object({ kind: z.literal('trailing-mean'), window: z.number().int().min(1) }),
    /** Why the budget is what it is. */
    note: z.string().max(1000),
  }),
  /** The preset's configuration with the reproduce overrides, as MAT runs it (seed: the first). */
  baseConfig: ExperimentSchema,
  modules: z.array(ModuleSchema).max(4096),
  flops: z.object({
    perVanillaStep: nonNeg,
    perEvaluation: nonNeg,
    /** A step with every module frozen: the floor freezing can reach. */
    perStepAllFrozen: nonNeg,
  }),
  environment: z.object({
    backend: z.string().max(200),
    node: z.string().max(64),
    platform: z.string().max(64),
    cpus: int,
    cpuModel: z.string().max(200),
    /** os.loadavg() (1 min) when the preset started and ended: other work on the machine. */
    loadAverage: z.object({ start: nonNeg, end: nonNeg }),
    tfjs: z.string().max(32),
    gitCommit: z.string().max(64).nullable(),
    gitDirty: z.boolean().nullable(),
  }),
  /** Wall-clock of all runs of this preset. */
  wallClockMs: nonNeg,
  runs: z.array(RunRecordSchema).min(1),
  summary: z.array(PolicySummarySchema).min(1),
  claim: ClaimSchema.nullable(),
});
export type Report = z.infer<typeof ReportSchema>;

export class ReportFileError extends Error {
  override name = 'ReportFileError';
}

/**
 * Validates a parsed report. Throws ReportFileError with a sentence naming the first bad
 * field; never returns a partly valid report.
 */
export function validateReport(json: unknown): Report {
  const r = ReportSchema.safeParse(json);
  if (!r.success) {
    const issue = r.error.issues[0];
    const where = issue && issue.path.length > 0 ? issue.path.join('.') : 'file';
    throw new ReportFileError(
      `This is not a MAT Lab report (npm run reproduce): ${where}: ${issue?.message ?? 'invalid'}.`,
    );
  }
  const report = r.data;
  const M = report.modules.length;
  for (const run of report.runs) {
    const bad = run.lambda?.lambdaMax.find((row) => row.length !== M);
    if (bad) {
      throw new ReportFileError(
        `This report is inconsistent: the ${run.policy} run (seed ${run.seed}) has λmax rows that do not cover all ${M} modules.`,
      );
    }
  }
  return report;
}

/** Parses report text (a file's contents); the same errors as `validateReport`, and for bad JSON. */
export function parseReport(text: string): Report {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new ReportFileError('This file is not JSON, so it cannot be a MAT Lab report.');
  }
  return validateReport(json);
}
