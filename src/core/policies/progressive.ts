import type { Decision, ModuleInfo } from '../types';
import { applyOverrides } from './common';
import type { Policy, PolicyParams } from './types';

/**
 * Step at which modules of depth `layer` freeze: after the warm-up W0, layer 0 at
 * W0 + span, layer 1 at W0 + 2·span, … (FreezeOut freezes early layers first, on a fixed
 * schedule, without looking at the model). Decisions change only at evaluations, so a layer
 * freezes at the first evaluation at or after its step.
 */
export function freezeStep(
  layer: number,
  params: Pick<PolicyParams, 'warmup' | 'progSpan'>,
): number {
  return params.warmup + (layer + 1) * params.progSpan;
}

/** The depth schedule for the timeline: freeze step per distinct layer, in depth order. */
export function freezeSchedule(
  modules: readonly ModuleInfo[],
  params: Pick<PolicyParams, 'warmup' | 'progSpan'>,
): { layer: number; step: number }[] {
  const layers = [...new Set(modules.map((m) => m.layer))].sort((a, b) => a - b);
  return layers.map((layer, depth) => ({ layer, step: freezeStep(depth, params) }));
}

/** Progressive freezing: modules freeze in depth order on a fixed schedule (no kernel needed). */
export const progressivePolicy: Policy = {
  name: 'progressive',
  label: 'Progressive freezing',
  description:
    'FreezeOut-style baseline: after the warm-up, the modules of the first layer stop training, ' +
    'then those of the next layer every `progSpan` steps, in depth order, on a fixed schedule ' +
    'that ignores λmax.',
  needsKernel: false,
  decide: (input) => {
    const schedule = new Map(
      freezeSchedule(input.modules, input.params).map((s) => [s.layer, s.step]),
    );
    const decisions: Decision[] = input.modules.map((m) => {
      if (input.step < input.params.warmup) return { updating: true, reason: 'warmup' };
      return input.step >= (schedule.get(m.layer) ?? Infinity)
        ? { updating: false, reason: 'frozen-schedule' }
        : { updating: true, reason: 'all' };
    });
    return applyOverrides(input.modules, decisions, input.overrides);
  },
};
