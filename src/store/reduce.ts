/**
 * Trainer messages → run data, as pure functions: the same reducers update the store for the
 * live run and the stashed live run while an imported run is on screen.
 */
import type { ExperimentConfig } from '../core/config';
import type { RunFile } from '../core/runfile';
import { loadModelView } from '../core/runfile';
import { loadCheckpoint } from '../core/checkpoint-json';
import type { FromWorker } from '../protocol/messages';
import type { EvalColumn } from './evaluations-slice';
import { initialEvaluationsState, reduceEvaluations } from './evaluations-slice';
import { appendMetrics, batchFromArrays, emptyMetrics } from './metrics';
import { initialMetricsState, reduceMetrics } from './metrics-slice';
import { initialRunState, reduceRun } from './run-slice';
import type { RunData } from './store';

/** The run data of a run that was just (re)started with `config`. */
export function initialRunData(config: ExperimentConfig): RunData {
  return { ...initialRunState(config), ...initialMetricsState(), ...initialEvaluationsState() };
}

/** What one trainer message changes in the run data. */
export function applyMessage(d: RunData, msg: FromWorker): Partial<RunData> {
  return { ...reduceRun(d, msg), ...reduceMetrics(d, msg), ...reduceEvaluations(d, msg) };
}

/**
 * Messages that describe a run's progress (dropped while a new run is starting). `loading`
 * belongs to the run being started: it is what the page shows until `ready`.
 */
export function isRunDataMessage(msg: FromWorker): boolean {
  return (
    msg.type !== 'ready' &&
    msg.type !== 'error' &&
    msg.type !== 'exported' &&
    msg.type !== 'loading'
  );
}

/** JSON writes NaN and ±∞ as null; they come back as NaN. */
function orNaN(x: number | null): number {
  return x === null ? NaN : x;
}

/** A run file's content as run data, for read-only viewing. */
export function runDataFromFile(run: RunFile): RunData {
  const lastVanilla = run.metrics.vanillaFlops[0];
  const evaluations = run.evaluations.map((e): EvalColumn => ({
    step: e.step,
    lambdaMax: Float64Array.from(e.lambdaMax, orNaN),
    effRank: Float64Array.from(e.effRank, orNaN),
    stdErr: e.stdErr ? Float64Array.from(e.stdErr, orNaN) : null,
    spectra: Float64Array.from(e.spectra.flat(), orNaN),
    updating: Uint8Array.from(e.updating, (u) => (u ? 1 : 0)),
    reasons: e.reasons.slice(),
    ms: null,
    amendedAt: null,
  }));
  // Spectra beyond the last few are not shown; keep memory bounded as for live runs.
  for (let i = 0; i < evaluations.length - 64; i++) {
    const col = evaluations[i];
    if (col) evaluations[i] = { ...col, spectra: null };
  }
  const last = evaluations[evaluations.length - 1];
  const lastStep = Math.max(run.step, run.metrics.step[run.metrics.step.length - 1] ?? 0);
  return {
    ...initialRunState(run.config),
    phase: 'ready',
    running: false,
    step: lastStep,
    backend: {
      backend: run.backend.backend,
      requested: null,
      adapter: run.backend.adapter,
      isFallbackAdapter: run.backend.isFallbackAdapter,
      fallbackReason: null,
    },
    modules: run.modules,
    flopsPerVanillaStep: lastVanilla ?? null,
    flopsPerEvaluation: null,
    probeOutputs: null,
    runConfig: run.config,
    events: run.events.slice(),
    live: eventsApplied(run),
    metrics: appendMetrics(
      emptyMetrics(),
      batchFromArrays({ ...run.metrics, loss: run.metrics.loss.map(orNaN) }),
    ),
    validation: {
      step: run.validation.step.slice(),
      perplexity: run.validation.perplexity.map(orNaN),
    },
    // Run files keep no per-push timing (only `medianStepMs` at export).
    stepTiming: { step: [], ms: [] },
    evaluations,
    decisions: last ? { step: last.step, updating: last.updating, reasons: last.reasons } : null,
    // Files from before these were recorded have neither: the view and ms/step stay empty and
    // the import banner says so.
    modelView: run.modelView
      ? { step: run.modelView.step, view: loadModelView(run.modelView.view) }
      : null,
    medianStepMs: run.medianStepMs ?? null,
    // An export "with checkpoints": forks can start from them (store/fork.ts).
    checkpointSteps: run.checkpoints?.map((c) => c.step) ?? [],
    fileCheckpoints: run.checkpoints?.map((c) => loadCheckpoint(c, run)) ?? null,
  };
}

/** α and β at the end of a run file: the config's step-0 values with its logged events applied. */
function eventsApplied(run: RunFile): RunData['live'] {
  const live = { alpha: run.config.alpha, beta: run.config.beta };
  for (const e of run.events) if (e.name !== 'override') live[e.name] = e.to;
  return live;
}
