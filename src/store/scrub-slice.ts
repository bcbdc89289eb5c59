/**
 * Scrubbing (issue 11): a cursor over the shown run's evaluations. The heatmap and timeline
 * highlight its column, the drill-down shows that evaluation, and the model view says which
 * step it shows. Null follows the run (the newest evaluation); a step that is not one of the
 * shown run's evaluations (another run on screen since) counts as null (`shownScrubStep`).
 */
import type { EvalColumn } from './evaluations-slice';

export interface ScrubState {
  /** The evaluation step the cursor is on; null: follow the newest. */
  scrubStep: number | null;
}

export function initialScrubState(): ScrubState {
  return { scrubStep: null };
}

/** Index of the evaluation at `step` in `evaluations` (sorted by step), or -1. */
export function evaluationIndex(evaluations: readonly EvalColumn[], step: number): number {
  let lo = 0;
  let hi = evaluations.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const s = evaluations[mid]!.step;
    if (s === step) return mid;
    if (s < step) lo = mid + 1;
    else hi = mid - 1;
  }
  return -1;
}

/** The cursor as the charts read it: a step of one of `evaluations`, or null (follow). */
export function shownScrubStep(
  scrubStep: number | null,
  evaluations: readonly EvalColumn[],
): number | null {
  if (scrubStep === null) return null;
  return evaluationIndex(evaluations, scrubStep) >= 0 ? scrubStep : null;
}

/**
 * The evaluation the drill-down shows: the cursor's, else the newest; and the newest at or
 * before it that still has its spectrum (spectra are kept for the last 64 evaluations only).
 */
export function scrubbedEvaluation(
  scrubStep: number | null,
  evaluations: readonly EvalColumn[],
): { at: EvalColumn | undefined; spectrum: EvalColumn | undefined } {
  const step = shownScrubStep(scrubStep, evaluations);
  const i = step === null ? evaluations.length - 1 : evaluationIndex(evaluations, step);
  const at = evaluations[i];
  return { at, spectrum: at?.spectra ? at : undefined };
}
