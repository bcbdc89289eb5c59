/** Config/controls slice: the experiment the controls show. Reset starts a run from it. */
import type { ExperimentConfig } from '../core/config';
import { DEFAULT_CONFIG } from '../core/config';

export interface ControlsState {
  /**
   * The settings on screen. α and β are the slider values (sent to the trainer at once and
   * applied at its next evaluation); the other fields take effect on Reset / Apply & reset.
   */
  settings: ExperimentConfig;
}

export function initialControlsState(config: ExperimentConfig = DEFAULT_CONFIG): ControlsState {
  return { settings: config };
}
