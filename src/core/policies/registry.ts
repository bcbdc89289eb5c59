import { matPolicy } from './mat';
import { progressivePolicy } from './progressive';
import { randomPolicy } from './random';
import type { Policy } from './types';
import { vanillaPolicy } from './vanilla';

/**
 * Every policy, in menu order: the one list of policies. `POLICIES` (config.ts, the URL schema,
 * the report schema), the menus, the legends and the report plots all derive from it. To add a
 * policy: write its `Policy` in its own file and add it here (and any new decision reason to
 * `reasons.ts`).
 */
const REGISTERED = [vanillaPolicy, matPolicy, randomPolicy, progressivePolicy] as const;

export type PolicyName = (typeof REGISTERED)[number]['name'];

/** The names of `list`, in order, as a tuple (what `z.enum` takes). */
function namesOf<const T extends readonly [Policy, ...Policy[]]>(
  list: T,
): { readonly [I in keyof T]: T[I]['name'] } {
  return list.map((p) => p.name) as { readonly [I in keyof T]: T[I]['name'] };
}

/** Every policy name, in menu order. */
export const POLICIES = namesOf(REGISTERED);

/** Every policy by name. */
export const POLICY_REGISTRY: Readonly<Record<PolicyName, Policy<PolicyName>>> = Object.fromEntries(
  REGISTERED.map((p) => [p.name, p]),
) as Record<PolicyName, Policy<PolicyName>>;

export function getPolicy(name: PolicyName): Policy<PolicyName> {
  return POLICY_REGISTRY[name];
}

/** Policies in menu order. */
export function listPolicies(): Policy<PolicyName>[] {
  return [...REGISTERED];
}

/** One value per policy, e.g. `byPolicy((p) => p.label)`. */
export function byPolicy<T>(f: (policy: Policy<PolicyName>) => T): Record<PolicyName, T> {
  return Object.fromEntries(REGISTERED.map((p) => [p.name, f(p)])) as Record<PolicyName, T>;
}
