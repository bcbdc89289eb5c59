import type { Decision, ManualOverride } from '../types';
import type { Policy, PolicyInput } from './types';

/**
 * Manual overrides win over every rule: a module forced on is updated (`forced-on`), one forced
 * off is not (`forced-off`), whatever the policy decided.
 */
function applyOverrides(
  modules: PolicyInput['modules'],
  decisions: readonly Decision[],
  overrides: ReadonlyMap<string, ManualOverride>,
): Decision[] {
  return decisions.map((d, i) => {
    const id = modules[i]?.id;
    const forced = id === undefined ? undefined : overrides.get(id);
    if (forced === 'on') return { updating: true, reason: 'forced-on' };
    if (forced === 'off') return { updating: false, reason: 'forced-off' };
    return d;
  });
}

/**
 * The decisions in force: the policy's, then the manual overrides (by module id) over them. The
 * one place overrides are applied; the Session decides through it, so no policy sees them.
 */
export function decideWithOverrides(
  policy: Pick<Policy, 'decide'>,
  input: PolicyInput,
  overrides: ReadonlyMap<string, ManualOverride>,
): Decision[] {
  const decisions: Decision[] = policy.decide(input);
  return overrides.size === 0 ? decisions : applyOverrides(input.modules, decisions, overrides);
}
