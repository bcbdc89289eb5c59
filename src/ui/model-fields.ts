/** The "Model & data" form: its fields and how a draft becomes a validated experiment. */
import { ACTIVATIONS, BACKENDS, ExperimentSchema, KERNELS, MODEL_DATA, MODELS, REFS, STOP_MODES } from '../core/config';
import type { ExperimentConfig, ModelName } from '../core/config';
import { MODEL_LABELS } from './model-words';

export type FieldKey = Exclude<keyof ExperimentConfig, 'events' | 'autoplay' | 'policy' | 'alpha' | 'beta' | 'K' | 'seed'>;

export interface FieldSpec {
  key: FieldKey;
  label: string;
  /** Options for a select; absent for typed values. */
  options?: readonly string[];
  /** Text shown for an option, when not the option itself. */
  optionLabels?: Readonly<Record<string, string>>;
  hint?: string;
  /** Shown only for these models (all when absent). */
  models?: readonly ModelName[];
}

const TRANSFORMERS: readonly ModelName[] = ['bert', 'switch'];

export const FIELD_GROUPS: { title: string; fields: FieldSpec[] }[] = [
  {
    title: 'Model',
    fields: [
      { key: 'model', label: 'Model', options: MODELS, optionLabels: MODEL_LABELS },
      { key: 'layers', label: 'Layers L', models: TRANSFORMERS },
      { key: 'heads', label: 'Heads per layer H', hint: 'each head is one MAT module', models: TRANSFORMERS },
      { key: 'dModel', label: 'Width d', hint: 'divisible by H', models: TRANSFORMERS },
      { key: 'dFF', label: 'FFN width', models: TRANSFORMERS },
      { key: 'experts', label: 'Experts per layer', models: ['switch'] },
      { key: 'capacity', label: 'Capacity factor', models: ['switch'] },
      { key: 'hidden', label: 'Hidden widths', hint: 'e.g. 8,8', models: ['mlp'] },
      { key: 'activation', label: 'Activation', options: ACTIVATIONS, models: ['mlp'] },
      { key: 'features', label: 'Input features', hint: 'x, y, x2, y2, xy, sinx, siny', models: ['mlp'] },
      { key: 'channels', label: 'Channels per stage', hint: 'e.g. 16,32', models: ['vgg'] },
      { key: 'groupSize', label: 'Filters per group g', models: ['vgg'] },
    ],
  },
  {
    title: 'Data & optimiser',
    fields: [
      { key: 'data', label: 'Data set' },
      { key: 'seqLen', label: 'Sequence length T', models: TRANSFORMERS },
      { key: 'vocab', label: 'Vocabulary V', models: TRANSFORMERS },
      { key: 'points', label: 'Points', models: ['mlp'] },
      { key: 'noise', label: 'Noise', models: ['mlp'] },
      { key: 'testRatio', label: 'Test share', models: ['mlp'] },
      { key: 'images', label: 'Training images', hint: 'up to 5,000 from the subset; more loads the full set (31 MB)', models: ['vgg'] },
      { key: 'batch', label: 'Batch size' },
      { key: 'lr', label: 'Learning rate (Adam)' },
    ],
  },
  {
    title: 'mNTK & policies',
    fields: [
      { key: 'probe', label: 'Probe samples n', hint: 'kernel is n × n' },
      { key: 'R', label: 'Random projections R', hint: 'used when outputs k > 16' },
      { key: 'kernel', label: 'Kernel', options: KERNELS },
      { key: 'warmup', label: 'Warm-up W0 (steps)' },
      { key: 'window', label: 'Window w (evaluations)' },
      { key: 'ref', label: 'Reference of α', options: REFS },
      { key: 'stop', label: 'β stops', options: STOP_MODES, hint: 'recheck: resume when λmax moves' },
      { key: 'progSpan', label: 'Progressive: steps per layer' },
    ],
  },
  {
    title: 'Run',
    fields: [
      { key: 'valEvery', label: 'Validate every (steps)' },
      { key: 'valBatches', label: 'Validation batches', hint: 'of the batch size; VGG: at most 1,000 images', models: [...TRANSFORMERS, 'vgg'] },
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
      .filter((f) => !f.models || f.models.includes(model))
      .map((f) => (f.key === 'data' ? { ...f, options: MODEL_DATA[model] } : f)),
  }));
}

export type Draft = Partial<Record<FieldKey, string>>;

/** A draft edit; choosing a model also picks its default data set when the current one does not fit. */
export function editDraft(settings: ExperimentConfig, draft: Draft, key: FieldKey, value: string): Draft {
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
