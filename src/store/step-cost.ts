/** The run's step-time estimate from the store's run data (see core/step-cost.ts). */
import type { StepCost } from '../core/step-cost';
import { estimateStepCost } from '../core/step-cost';
import type { RunData } from './store';

export type StepCostFields = Pick<
  RunData,
  'backend' | 'flopsPerVanillaStep' | 'evaluationFlops' | 'runConfig' | 'medianStepMs'
>;

/**
 * What a step of this run costs: measured when this run (or, `measuredEarlier`, the same config
 * earlier on this page) has timed steps, else estimated from its FLOPs. Null before `ready`
 * and for imported runs (no FLOPs of an evaluation).
 */
export function runStepCost(s: StepCostFields, measuredEarlier: number | null): StepCost | null {
  if (!s.backend || s.flopsPerVanillaStep === null || s.evaluationFlops === null) return null;
  return estimateStepCost({
    flopsPerStep: s.flopsPerVanillaStep,
    flopsPerEvaluation: s.evaluationFlops,
    K: s.runConfig.K,
    backend: s.backend,
    measuredMs: s.medianStepMs ?? measuredEarlier,
  });
}
