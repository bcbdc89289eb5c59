import type { ExperimentConfig } from './config';
import { DEFAULT_CONFIG } from './config';
import { FAMILIES, PRESETS } from './families/descriptors';
import { FAMILY_FIELDS } from './families/family';
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

/**
 * Fields that say how a run is driven, not what it is: a run with another backend, autoplay,
 * stop step or slider log is still the preset's experiment.
 */
const RUN_CONTROL: ReadonlySet<string> = new Set(['events', 'autoplay', 'stopAt', 'backend']);

/**
 * The fields in which `config` differs from preset `id`'s config, in schema order ([]: it is
 * the preset). Run control (backend, autoplay, stopAt, events) and the fields only other model
 * families read (a BERT's `hidden`) are not compared. An unknown id differs in nothing it can
 * name and returns `undefined`.
 */
export function presetDifferences(
  config: ExperimentConfig,
  id: string,
): (keyof ExperimentConfig)[] | undefined {
  const base = presetConfig(id);
  return base ? experimentDifferences(config, base) : undefined;
}

/**
 * The fields in which experiment `config` differs from `base`, in schema order ([]: the same
 * experiment), compared as {@link presetDifferences} does: run control is left out, and so are
 * the fields that only other model families than `config`'s read (a run list compares runs
 * with it).
 */
export function experimentDifferences(
  config: ExperimentConfig,
  base: ExperimentConfig,
): (keyof ExperimentConfig)[] {
  const own: ReadonlySet<string> = new Set(FAMILIES[config.model].fields);
  const familyOnly: ReadonlySet<string> = new Set(FAMILY_FIELDS);
  return (Object.keys(base) as (keyof ExperimentConfig)[]).filter(
    (f) =>
      !RUN_CONTROL.has(f) &&
      (own.has(f) || !familyOnly.has(f)) &&
      String(config[f]) !== String(base[f]),
  );
}

/** The first preset whose experiment `config` is (see {@link presetDifferences}), if any. */
export function matchingPreset(config: ExperimentConfig): Preset | undefined {
  return PRESETS.find((p) => presetDifferences(config, p.id)?.length === 0);
}
