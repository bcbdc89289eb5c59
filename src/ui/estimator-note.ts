import type { ExperimentConfig } from '../core/config';

/**
 * What the λmax readout's precision is (docs/method.md, "λmax, spectrum and effective rank"):
 * the standard error over the random projections where the kernel is projected, else exact for
 * the samples it was taken on.
 */
export function estimatorNote(
  stdErr: Float64Array | null,
  config: Pick<ExperimentConfig, 'kernel' | 'probe' | 'R'>,
): string {
  if (stdErr) return `standard error over R = ${config.R} random projections (jackknife)`;
  if (config.kernel === 'step')
    return `exact for the ${config.probe} samples of this step's batch; they change every evaluation`;
  return `exact for the ${config.probe}-sample probe`;
}
