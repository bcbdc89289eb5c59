import { POLICIES } from '../config';
import type { PolicyName } from '../config';
import { matPolicy } from './mat';
import { progressivePolicy } from './progressive';
import { randomPolicy } from './random';
import type { Policy } from './types';
import { vanillaPolicy } from './vanilla';

/**
 * Every policy by name. Typed as a full record, so adding a name to `POLICIES` without
 * registering its policy fails to compile. To add a policy: write `decide` in its own file,
 * add its name to `POLICIES` in config.ts and its entry here.
 */
export const POLICY_REGISTRY: Readonly<Record<PolicyName, Policy>> = {
  vanilla: vanillaPolicy,
  mat: matPolicy,
  random: randomPolicy,
  progressive: progressivePolicy,
};

export function getPolicy(name: PolicyName): Policy {
  return POLICY_REGISTRY[name];
}

/** Policies in menu order. */
export function listPolicies(): Policy[] {
  return POLICIES.map((name) => POLICY_REGISTRY[name]);
}
