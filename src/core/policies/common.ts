import type { Decision, DecisionReason, ManualOverride, ModuleInfo } from '../types';

/** Every module updated, for one reason (vanilla's `all` or the warm-up). */
export function everyModule(
  modules: readonly ModuleInfo[],
  reason: Extract<DecisionReason, 'all' | 'warmup'>,
): Decision[] {
  return modules.map(() => ({ updating: true, reason }));
}

/**
 * Manual overrides win over every rule: a module forced on is updated (`forced-on`), one forced
 * off is not (`forced-off`), whatever the policy decided. Applied last by every policy.
 */
export function applyOverrides(
  modules: readonly ModuleInfo[],
  decisions: Decision[],
  overrides: ReadonlyMap<string, ManualOverride>,
): Decision[] {
  if (overrides.size === 0) return decisions;
  return decisions.map((d, i) => {
    const id = modules[i]?.id;
    const forced = id === undefined ? undefined : overrides.get(id);
    if (forced === 'on') return { updating: true, reason: 'forced-on' };
    if (forced === 'off') return { updating: false, reason: 'forced-off' };
    return d;
  });
}
