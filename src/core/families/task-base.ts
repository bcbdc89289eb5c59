import type { ExperimentConfig } from '../config';
import type { RunFile } from '../runfile';
import type { LabModel } from './model';
import { exportVariableName } from './types';

/** What every probe has, whatever its samples: its scalar functions s_r (docs/method.md). */
export interface ProbeFunctions {
  kernel: 'trace' | 'loss';
  /** k, outputs per sample. */
  outputs: number;
  /** R', the scalar functions per sample. */
  numProjections: number;
  /** w of Θ = w Σ_r G_r G_rᵀ. */
  weight: number;
  /** False for Rademacher projections; an MLP probe is always exact. */
  exact?: boolean;
}

/**
 * The kernel of a task's fixed probe: the configured one, except that a 'step' run (which takes
 * its kernels from training batches) gives its probe (the run file's, the evaluation at export)
 * the same loss kernel.
 */
export function probeKernel(kernel: ExperimentConfig['kernel']): 'trace' | 'loss' {
  return kernel === 'step' ? 'loss' : kernel;
}

/** The parts of `Task` every family's task has in common: modules, probe info, export names. */
export abstract class TaskBase<M extends LabModel> {
  abstract readonly model: M;
  abstract readonly probe: ProbeFunctions;

  get modules() {
    return this.model.modules;
  }

  get probeInfo() {
    return {
      k: this.probe.outputs,
      projections: this.probe.numProjections,
      exact: this.probe.exact ?? true,
    };
  }

  exportName(name: string): string {
    return exportVariableName(name);
  }

  /** The probe as run files write it: its samples (`samples`) and its scalar functions. */
  protected probeExport(
    samples: Omit<RunFile['probe'], 'projections' | 'numProjections' | 'weight' | 'kernel'>,
    projections: number[],
  ): RunFile['probe'] {
    const { numProjections, weight, kernel } = this.probe;
    return { ...samples, projections, numProjections, weight, kernel };
  }
}
