/** The "Model & data" form: its fields and how a draft becomes a validated experiment. */
import {
  ACTIVATIONS,
  BACKENDS,
  ExperimentSchema,
  KERNELS,
  MODEL_DATA,
  MODELS,
  REFS,
  STOP_MODES,
} from '../core/config';
import type { ExperimentConfig, ModelName } from '../core/config';
import { familiesReading } from '../core/families/descriptors';
import { MODULE_LISTS, MODULE_LIST_LABELS } from '../core/families/transformer/selection';
import { FAMILY_FIELDS } from '../core/families/family';
import type { FamilyField } from '../core/families/family';
import { MODEL_LABELS } from './model-words';

/** Whether only some families read `key` (each family's descriptor lists its own `fields`). */
const isFamilyField = (key: FieldKey): key is FamilyField =>
  (FAMILY_FIELDS as readonly string[]).includes(key);

export type FieldKey = Exclude<
  keyof ExperimentConfig,
  'events' | 'autoplay' | 'policy' | 'alpha' | 'beta' | 'K' | 'seed'
>;

export interface FieldSpec {
  key: FieldKey;
  label: string;
  /** Options for a select; absent for typed values. */
  options?: readonly string[];
  /** Text shown for an option, when not the option itself. */
  optionLabels?: Readonly<Record<string, string>>;
  hint?: string;
}

export const FIELD_GROUPS: { title: string; fields: FieldSpec[] }[] = [
  {
    title: 'Model',
    fields: [
      { key: 'model', label: 'Model', options: MODELS, optionLabels: MODEL_LABELS },
      { key: 'layers', label: 'Layers L' },
      { key: 'heads', label: 'Heads per layer H', hint: 'each head is one MAT module' },
      { key: 'dModel', label: 'Width d', hint: 'divisible by H' },
      { key: 'dFF', label: 'FFN width' },
      { key: 'experts', label: 'Experts per layer' },
      { key: 'capacity', label: 'Capacity factor' },
      {
        key: 'modules',
        label: 'MAT modules',
        options: MODULE_LISTS,
        optionLabels: MODULE_LIST_LABELS,
        hint: 'the rest trains always (with “biases and norms”, they and Switch’s routers train with their modules); Switch experts are always modules',
      },
      { key: 'hidden', label: 'Hidden widths', hint: 'e.g. 8,8' },
      { key: 'activation', label: 'Activation', options: ACTIVATIONS },
      { key: 'features', label: 'Input features', hint: 'x, y, x2, y2, xy, sinx, siny' },
      { key: 'channels', label: 'Channels per stage', hint: 'e.g. 16,32' },
      { key: 'groupSize', label: 'Filters per group g' },
      {
        key: 'fc',
        label: 'Classifier stages',
        hint: 'hidden dense widths, e.g. 64 (groups of g units are modules), or none',
      },
    ],
  },
  {
    title: 'Data & optimiser',
    fields: [
      { key: 'data', label: 'Data set' },
      { key: 'seqLen', label: 'Sequence length T' },
      { key: 'vocab', label: 'Vocabulary V' },
      { key: 'points', label: 'Points' },
      { key: 'noise', label: 'Noise' },
      { key: 'testRatio', label: 'Test share' },
      {
        key: 'images',
        label: 'Training images',
        hint: 'up to 5,000 from the subset; more loads the full set (31 MB)',
      },
      { key: 'batch', label: 'Batch size' },
      { key: 'lr', label: 'Learning rate (Adam)' },
    ],
  },
  {
    title: 'mNTK & policies',
    fields: [
      { key: 'probe', label: 'Probe samples n', hint: 'kernel is n × n' },
      { key: 'R', label: 'Random projections R', hint: 'used when outputs k > 16' },
      {
        key: 'kernel',
        label: 'Kernel',
        options: KERNELS,
        hint: 'step: the loss kernel of the training batch, from the step itself (MLP, VGG)',
      },
      { key: 'warmup', label: 'Warm-up W0 (steps)' },
      { key: 'window', label: 'Window w (evaluations)' },
      { key: 'ref', label: 'Reference of α', options: REFS },
      {
        key: 'stop',
        label: 'β stops',
        options: STOP_MODES,
        hint: 'recheck: resume when λmax moves',
      },
      { key: 'progSpan', label: 'Progressive: steps per layer' },
    ],
  },
  {
    title: 'Run',
    fields: [
      { key: 'valEvery', label: 'Validate every (steps)' },
      {
        key: 'valBatches',
        label: 'Validation batches',
        hint: 'of the batch size; VGG: at most 1,000 images',
      },
      { key: 'stopAt', label: 'Pause at step', hint: '0: never' },
      { key: 'backend', label: 'Backend', options: BACKENDS },
    ],
  },
];

/** The fields shown for a model, with the data options that fit it. */
export function fieldsFor(model: ModelName): { title: string; fields: FieldSpec[] }[] {
  return FIELD_GROUPS.map((g) => ({
    title: g.title,
    fields: g.fields
      .filter((f) => !isFamilyField(f.key) || familiesReading(f.key).includes(model))
      .map((f) => {
        if (f.key === 'data') return { ...f, options: MODEL_DATA[model] };
        return f;
      }),
  }));
}

export type Draft = Partial<Record<FieldKey, string>>;

/** A draft edit; choosing a model also picks its default data set when the current one does not fit. */
export function editDraft(
  settings: ExperimentConfig,
  draft: Draft,
  key: FieldKey,
  value: string,
): Draft {
  const next: Draft = { ...draft, [key]: value };
  if (key === 'model' && (MODELS as readonly string[]).includes(value)) {
    const allowed = MODEL_DATA[value as ModelName];
    const data = next.data ?? settings.data;
    if (!(allowed as readonly string[]).includes(data)) next.data = allowed[0] ?? data;
  }
  return next;
}

/** The settings with the draft applied, validated by the experiment schema; or sentences saying what is wrong. */
export function applyDraft(
  settings: ExperimentConfig,
  draft: Draft,
): { ok: true; config: ExperimentConfig } | { ok: false; problems: string[] } {
  const candidate: Record<string, unknown> = { ...settings };
  for (const [key, text] of Object.entries(draft) as [FieldKey, string][]) {
    const current = settings[key];
    candidate[key] = typeof current === 'number' ? (text.trim() === '' ? NaN : Number(text)) : text;
  }
  const r = ExperimentSchema.safeParse(candidate);
  if (r.success) return { ok: true, config: r.data };
  return {
    ok: false,
    problems: r.error.issues.map((i) => `${String(i.path[0] ?? 'experiment')}: ${i.message}`),
  };
}
