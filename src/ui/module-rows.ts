import { useDeferredValue, useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { ModuleInfo } from '../core/types';
import { moduleLabel } from '../store/selectors';
import { useLabStore } from '../store/store';

/** Modules with their row labels and layers, memoised on the module list. */
export function useModuleRows(): { modules: ModuleInfo[]; labels: string[]; layers: number[] } {
  const modules = useLabStore((s) => s.modules);
  return useMemo(
    () => ({ modules, labels: modules.map(moduleLabel), layers: modules.map((m) => m.layer) }),
    [modules],
  );
}

/**
 * The evaluations and the run's policy, for the grids: a deferred copy, so React redraws the
 * grids in the background after a commit rather than in the commit's own task (the main thread
 * stays free while a small model evaluates many times a second).
 */
export function useGridData() {
  const live = useLabStore(
    useShallow((s) => ({
      evaluations: s.evaluations,
      policy: s.runConfig.policy,
      K: s.runConfig.K,
      model: s.runConfig.model,
      modules: s.runConfig.modules,
      fc: s.runConfig.fc,
    })),
  );
  return useDeferredValue(live);
}
