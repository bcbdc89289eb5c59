import type { ModuleInfo } from '../types';
import type { PolicyDecision } from './types';

/** Every module updated, for one reason (vanilla's `all` or the warm-up). */
export function everyModule(
  modules: readonly ModuleInfo[],
  reason: Extract<PolicyDecision['reason'], 'all' | 'warmup'>,
): PolicyDecision[] {
  return modules.map(() => ({ updating: true, reason }));
}
