/** Evaluations slice: λmax, spectra and the decisions taken, one column per mNTK evaluation. */
import type { DecisionReason } from '../core/types';
import type { FromWorker } from '../protocol/messages';

/** One mNTK evaluation with the decisions in force after it. */
export interface EvalColumn {
  /** Completed training steps when the kernels were computed. */
  step: number;
  /** λmax per module (largest eigenvalue of its n × n kernel Θ_m), in module order. */
  lambdaMax: Float64Array;
  /** Effective rank exp(−Σ p ln p), p = λ/Σλ, per module. */
  effRank: Float64Array;
  /** λmax's standard error over the random projections per module; null when exact. */
  stdErr?: Float64Array | null;
  /** Eigenvalues, modules × n row-major, descending; null once dropped to bound memory. */
  spectra: Float64Array | null;
  /** 1 when the module is updated until the next evaluation. */
  updating: Uint8Array;
  reasons: DecisionReason[];
  /** Wall-clock ms of the evaluation; null when not recorded. */
  ms: number | null;
  /**
   * Step at which the decisions of this column were last changed after the evaluation (a slider
   * move while paused, a manual override, a replayed event); null when they are its own.
   */
  amendedAt: number | null;
}

/** The decisions in force now. */
export interface CurrentDecisions {
  step: number;
  updating: Uint8Array;
  reasons: DecisionReason[];
}

export interface EvaluationsState {
  evaluations: EvalColumn[];
  decisions: CurrentDecisions | null;
}

/** Spectra are kept for this many most recent evaluations only (the drill-down shows the latest). */
export const SPECTRA_KEPT = 64;

export function initialEvaluationsState(): EvaluationsState {
  return { evaluations: [], decisions: null };
}

/** `list` with `column` appended, dropping the spectra that fall out of the last {@link SPECTRA_KEPT}. */
export function appendColumn(
  list: readonly EvalColumn[],
  column: EvalColumn,
  kept = SPECTRA_KEPT,
): EvalColumn[] {
  const out = [...list, column];
  const drop = out.length - 1 - kept;
  const old = out[drop];
  if (drop >= 0 && old && old.spectra !== null) out[drop] = { ...old, spectra: null };
  return out;
}

export function reduceEvaluations(
  s: EvaluationsState,
  msg: FromWorker,
): Partial<EvaluationsState> | null {
  switch (msg.type) {
    case 'ready':
      return initialEvaluationsState();
    case 'evaluation': {
      const e = msg.evaluation;
      const column: EvalColumn = {
        step: e.step,
        lambdaMax: e.lambdaMax,
        effRank: e.effRank,
        stdErr: e.stdErr ?? null,
        spectra: e.spectra,
        updating: e.updating,
        reasons: e.reasons,
        ms: e.ms,
        amendedAt: null,
      };
      return {
        evaluations: appendColumn(s.evaluations, column),
        decisions: { step: e.step, updating: e.updating, reasons: e.reasons },
      };
    }
    case 'decisions': {
      const decisions = { step: msg.step, updating: msg.updating, reasons: msg.reasons };
      const last = s.evaluations[s.evaluations.length - 1];
      if (!last || msg.step < last.step) return { decisions };
      // The new decisions hold from `msg.step` until the next evaluation: the latest column.
      const amended: EvalColumn = {
        ...last,
        updating: msg.updating,
        reasons: msg.reasons,
        amendedAt: msg.step,
      };
      return { decisions, evaluations: [...s.evaluations.slice(0, -1), amended] };
    }
    default:
      return null;
  }
}
