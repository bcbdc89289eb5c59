import { useMemo } from 'react';
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

/** The evaluations and the run's policy, for the grids. */
export function useGridData() {
  return useLabStore(
    useShallow((s) => ({
      evaluations: s.evaluations,
      policy: s.runConfig.policy,
      K: s.runConfig.K,
      model: s.runConfig.model,
      modules: s.runConfig.modules,
      fc: s.runConfig.fc,
    })),
  );
}
