/**
 * Which preset the run is, as the Experiment panel's picker and the story above the charts say
 * it: the preset named in the link (`preset=`, kept with the page's pass-through parameters) or,
 * without one, the preset whose experiment the run is. Pure functions of the config and the
 * pass-through parameters.
 */
import type { ExperimentConfig } from '../core/config';
import type { Preset } from '../core/presets';
import { findPreset, matchingPreset, presetDifferences } from '../core/presets';

/** The link's `preset` when it names a known preset; null otherwise. */
export function presetParam(passThrough: readonly (readonly [string, string])[]): string | null {
  const id = passThrough.findLast(([k]) => k === 'preset')?.[1];
  return id !== undefined && findPreset(id) ? id : null;
}

/** The pass-through parameters with `preset` set to `id` (once, at the end). */
export function withPresetParam(
  passThrough: readonly [string, string][],
  id: string,
): [string, string][] {
  return [...passThrough.filter(([k]) => k !== 'preset'), ['preset', id]];
}

export interface PresetStatus {
  /** The preset the run comes from; null when it is none of them. */
  preset: Preset | null;
  /** Fields in which the run differs from it ([]: it is the preset). */
  differs: (keyof ExperimentConfig)[];
}

/**
 * The run's preset: the one the link names (with the fields changed since), else the first
 * preset the config equals, else none.
 */
export function presetStatus(
  config: ExperimentConfig,
  passThrough: readonly [string, string][],
): PresetStatus {
  const named = presetParam(passThrough);
  if (named !== null) {
    return { preset: findPreset(named) ?? null, differs: presetDifferences(config, named) ?? [] };
  }
  return { preset: matchingPreset(config) ?? null, differs: [] };
}

/** What the picker says for a status: the preset's label, or "custom (from …)". */
export function presetStatusText(status: PresetStatus): string {
  if (!status.preset) return 'custom';
  if (status.differs.length === 0) return status.preset.label;
  return `custom (from ${status.preset.id}: ${status.differs.join(', ')} changed)`;
}
