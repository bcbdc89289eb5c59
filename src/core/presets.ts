import type { ExperimentConfig } from './config';
import { DEFAULT_CONFIG } from './config';
import { PRESETS } from './families/descriptors';
import type { Preset } from './families/family';

/** Presets live with their families (`families/<family>/descriptor.ts`). */
export type { Preset } from './families/family';
export { PRESETS } from './families/descriptors';

export const PRESET_IDS = PRESETS.map((p) => p.id);

export function findPreset(id: string): Preset | undefined {
  return PRESETS.find((p) => p.id === id);
}

/** The full config of a preset (defaults completed). */
export function presetConfig(id: string): ExperimentConfig | undefined {
  const p = findPreset(id);
  return p ? { ...DEFAULT_CONFIG, ...p.config, events: [] } : undefined;
}
