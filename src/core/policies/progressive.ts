import type { ModuleInfo } from '../types';
import type { Policy, PolicyDecision, PolicyParams } from './types';

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

export const gcd = (a: number, b: number): number => (b === 0 ? Math.abs(a) : gcd(b, a % b));

/** Progressive freezing: modules freeze in depth order on a fixed schedule (no kernel needed). */
export const progressivePolicy: Policy<'progressive'> = {
  name: 'progressive',
  label: 'Progressive freezing',
  shortLabel: 'progressive',
  description:
    'FreezeOut-style baseline: after the warm-up, the modules of the first layer stop training, ' +
    'then those of the next layer every `progSpan` steps, in depth order, on a fixed schedule ' +
    'that ignores λmax.',
  needsKernel: false,
  decide: (input) => {
    const schedule = new Map(
      freezeSchedule(input.modules, input.params).map((s) => [s.layer, s.step]),
    );
    return input.modules.map((m): PolicyDecision => {
      if (input.step < input.params.warmup) return { updating: true, reason: 'warmup' };
      return input.step >= (schedule.get(m.layer) ?? Infinity)
        ? { updating: false, reason: 'frozen-schedule' }
        : { updating: true, reason: 'all' };
    });
  },
  reasons: ['warmup', 'all', 'frozen-schedule'],
  plot: { colour: '#15803d', dash: '2 3' },
  sliderNote: 'Progressive freezing follows a fixed schedule: α and β have no effect on it.',
  explainNote: ({ modules, params }) => ({
    lead: 'This run is progressive freezing',
    text:
      '(FreezeOut-style baseline): after the warm-up, layers freeze in depth order on a fixed ' +
      'schedule that ignores λmax: ' +
      (freezeSchedule(modules, params)
        .map((f) => `layer ${f.layer} at step ${f.step}`)
        .join(', ') || 'the schedule appears when the model is ready') +
      '. λmax is shown for reference and not charged. The rules below are what MAT would apply.',
  }),
  // Every freeze step is a multiple of gcd(W0, span): evaluating that often, when K divides it,
  // hits each of them, so the decisions are those with K.
  equivalentK: (base, _steps, maxK) => {
    const g = gcd(base.warmup, base.progSpan);
    return g > 0 && g % base.K === 0 && g <= maxK ? g : base.K;
  },
};
