/**
 * The shareable-URL codec: an experiment is a flat list of `key=value` pairs holding every
 * field of {@link ExperimentConfig}, so a link replays the same run. Parsing never throws: each
 * field is coerced from its string on its own and checked against that field's zod schema; a
 * bad field is reported as a sentence and falls back to its default while the others keep their
 * values. Core code has no DOM, so the caller turns `URLSearchParams` into entries.
 */
import { z } from 'zod';
import { DEFAULT_CONFIG, ExperimentSchema, LIVE_PARAMS, MODEL_DATA } from './config';
import { PRESET_IDS, presetConfig } from './presets';
import type { ExperimentConfig, LiveParam, ParamEvent } from './config';
import { canonicalModuleList } from './families/transformer/selection';

/** Keys that are not part of the experiment but are passed through for later features. */
export const EXTRA_PARAMS = ['preset'] as const;
/** Longest value accepted for any key except `events`. */
export const MAX_VALUE_LENGTH = 256;
/** Most `key=value` pairs read from one URL; the rest are ignored with an error. */
export const MAX_PARAMS = 64;
/** Most entries in the `events` log (matches the schema). */
export const MAX_EVENTS = 1000;
/**
 * Longest `events` value: {@link MAX_EVENTS} entries of at most 48 characters each (step, name,
 * shortest round-trip double, two colons, comma). `events` is exempt from
 * {@link MAX_VALUE_LENGTH}, which would otherwise cap the log at about twenty entries.
 */
export const MAX_EVENTS_LENGTH = MAX_EVENTS * 48;
/** At most this many characters of a rejected value are echoed back in an error. */
export const ECHO_LENGTH = 40;

/** A problem with one URL parameter, as a sentence a user can act on. */
export interface ParamError {
  /** The parameter's key (escaped and shortened if it was not a known key). */
  field: string;
  message: string;
}

export interface ParsedExperiment {
  /** A valid experiment: parsed values where they passed, defaults elsewhere. */
  config: ExperimentConfig;
  errors: ParamError[];
  /** Values of allow-listed extra keys ({@link EXTRA_PARAMS}), unvalidated beyond length. */
  extras: Record<string, string>;
}

type FieldName = keyof ExperimentConfig;
const SHAPE = ExperimentSchema.shape;
/** Field order of the schema; the URL is written in this order. */
const FIELDS = Object.keys(SHAPE) as FieldName[];
const FIELD_SET: ReadonlySet<string> = new Set(FIELDS);
const EXTRA_SET: ReadonlySet<string> = new Set(EXTRA_PARAMS);
const LIVE_SET: ReadonlySet<string> = new Set(LIVE_PARAMS);

/**
 * Fields involved in each cross-field rule, keyed by the path zod reports. On a violation all of
 * them go back to their defaults, which satisfy every rule together.
 */
const CROSS_FIELD: Partial<Record<FieldName, readonly FieldName[]>> = {
  dModel: ['dModel', 'heads'],
};

/** A plain decimal number (what `String(x)` writes for a finite double); no hex, no blanks. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/** JSON-style escaping without the quotes; `<`, `>` and `&` become `\u003c`-style escapes. */
function escapeText(text: string): string {
  return JSON.stringify(text)
    .slice(1, -1)
    .replace(/[<>&]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * A value made safe to show as text anywhere: at most {@link ECHO_LENGTH} characters, quoted and
 * escaped so markup such as `<script>` never survives, with its length when it was cut.
 */
export function echo(value: string): string {
  if (value.length <= ECHO_LENGTH) return `"${escapeText(value)}"`;
  return `"${escapeText(value.slice(0, ECHO_LENGTH))}…" (${value.length} characters)`;
}

/** A key made safe to use as an error's `field`: escaped, at most {@link ECHO_LENGTH} characters. */
function safeKey(key: string): string {
  return escapeText(key.slice(0, ECHO_LENGTH));
}

/** Shortest decimal that parses back to exactly `x` (ECMAScript's Number-to-String). */
function formatNumber(x: number): string {
  return String(x);
}

function parseNumber(raw: string): number | undefined {
  if (!DECIMAL.test(raw)) return undefined;
  const x = Number(raw);
  return Number.isFinite(x) ? x : undefined;
}

/** Words for what a field's schema accepts, e.g. "an integer between 1 and 8". */
function expected(field: FieldName): string {
  const shape = SHAPE[field];
  // A field with a default (one older configs lack) is described by its inner schema.
  const schema = shape instanceof z.ZodDefault ? shape.unwrap() : shape;
  if (schema instanceof z.ZodNumber) {
    const what = schema.isInt ? 'an integer' : 'a number';
    return `${what} between ${schema.minValue ?? -Infinity} and ${schema.maxValue ?? Infinity}`;
  }
  if (schema instanceof z.ZodEnum) return `one of ${schema.options.join(', ')}`;
  if (schema instanceof z.ZodBoolean) return '1, 0, true or false';
  if (field === 'events') {
    return `up to ${MAX_EVENTS} comma-separated step:name:value entries, e.g. "40:alpha:1.2,80:beta:0.05"`;
  }
  return 'a valid value';
}

function defaultText(field: FieldName): string {
  if (field === 'events') return 'an empty log';
  return `the default ${String(DEFAULT_CONFIG[field])}`;
}

/** Coerce a field's string to the type its schema expects; `undefined` when it cannot. */
function coerce(field: FieldName, raw: string): unknown {
  const schema = SHAPE[field];
  if (schema instanceof z.ZodNumber) return parseNumber(raw);
  if (schema instanceof z.ZodBoolean) {
    if (raw === '1' || raw === 'true') return true;
    if (raw === '0' || raw === 'false') return false;
    return undefined;
  }
  // Kinds in any order: `embed,heads` reads as `heads,embed`.
  if (field === 'modules') return canonicalModuleList(raw);
  return raw;
}

type EventsResult = { ok: true; events: ParamEvent[] } | { ok: false; message: string };

const STEP_SCHEMA = z.number().int().min(0).max(10_000_000);

/**
 * `step:name:value` entries, comma-separated; the empty string is the empty log. Each value is
 * checked against its own parameter's range (β ≤ 1, α ≤ 10). The result is sorted by step,
 * stably, so events at the same step keep their order (the later one wins on replay).
 */
export function parseEvents(raw: string): EventsResult {
  if (raw === '') return { ok: true, events: [] };
  const entries = raw.split(',');
  if (entries.length > MAX_EVENTS) {
    return { ok: false, message: `events: at most ${MAX_EVENTS} entries, got ${entries.length}` };
  }
  const events: ParamEvent[] = [];
  for (const entry of entries) {
    const bad = (why: string): EventsResult => ({
      ok: false,
      message: `events: entry ${echo(entry)} ${why}; expected step:name:value, e.g. "40:alpha:1.2"`,
    });
    const parts = entry.split(':');
    if (parts.length !== 3) return bad('does not have three parts');
    const [stepText = '', name = '', valueText = ''] = parts;
    const step = parseNumber(stepText);
    if (step === undefined || !STEP_SCHEMA.safeParse(step).success) {
      return bad('has a step that is not an integer between 0 and 10000000');
    }
    if (!LIVE_SET.has(name)) return bad(`names no live parameter (${LIVE_PARAMS.join(', ')})`);
    const live = name as LiveParam;
    const value = parseNumber(valueText);
    if (value === undefined || !SHAPE[live].safeParse(value).success) {
      return bad(`has a value that is not ${expected(live)}`);
    }
    events.push({ step, name: live, value });
  }
  events.sort((a, b) => a.step - b.step);
  const checked = SHAPE.events.safeParse(events);
  if (!checked.success)
    return { ok: false, message: `events: ${checked.error.issues[0]?.message ?? 'invalid'}` };
  return { ok: true, events: checked.data };
}

/** The compact `events` encoding, sorted by step (stable). */
export function formatEvents(events: readonly ParamEvent[]): string {
  return [...events]
    .sort((a, b) => a.step - b.step)
    .map((e) => `${formatNumber(e.step)}:${e.name}:${formatNumber(e.value)}`)
    .join(',');
}

/**
 * Read an experiment from URL entries (e.g. `[...new URLSearchParams(location.search)]`).
 * Never throws. Unknown keys, over-long values, duplicates (last wins) and more than
 * {@link MAX_PARAMS} pairs are reported in `errors`; none of them is fatal.
 */
export function parseExperimentParams(entries: Iterable<[string, string]>): ParsedExperiment {
  const errors: ParamError[] = [];
  const extras: Record<string, string> = {};
  const values = new Map<string, string[]>();
  let count = 0;
  for (const [key, value] of entries) {
    count++;
    if (count > MAX_PARAMS) continue;
    const list = values.get(key);
    if (list) list.push(value);
    else values.set(key, [value]);
  }
  if (count > MAX_PARAMS) {
    errors.push({
      field: 'url',
      message: `The link has ${count} parameters; only the first ${MAX_PARAMS} were read.`,
    });
  }

  // A preset is the base the other parameters refine.
  const presetId = values.get('preset')?.at(-1);
  const preset = presetId === undefined ? undefined : presetConfig(presetId);
  if (presetId !== undefined && !preset) {
    errors.push({
      field: 'preset',
      message: `preset: unknown preset ${echo(presetId)}; known: ${PRESET_IDS.join(', ')}.`,
    });
  }
  const base: ExperimentConfig = preset ?? DEFAULT_CONFIG;
  const config: Record<string, unknown> = { ...base, events: [...base.events] };
  for (const [key, list] of values) {
    const known = FIELD_SET.has(key);
    const extra = EXTRA_SET.has(key);
    if (!known && !extra) {
      errors.push({ field: safeKey(key), message: `${echo(key)}: unknown parameter, ignored.` });
      continue;
    }
    const raw = list[list.length - 1] ?? '';
    if (list.length > 1) {
      errors.push({
        field: key,
        message: `${key}: given ${list.length} times; the last value is used.`,
      });
    }
    const limit = key === 'events' ? MAX_EVENTS_LENGTH : MAX_VALUE_LENGTH;
    if (raw.length > limit) {
      const fallback = known ? `; using ${defaultText(key as FieldName)}` : '; ignored';
      errors.push({
        field: key,
        message: `${key}: value is ${raw.length} characters long, more than the ${limit} allowed (starts ${echo(raw)})${fallback}.`,
      });
      continue;
    }
    if (extra) {
      extras[key] = raw;
      continue;
    }
    const field = key as FieldName;
    if (field === 'events') {
      const parsed = parseEvents(raw);
      if (parsed.ok) config.events = parsed.events;
      else errors.push({ field, message: `${parsed.message}; using ${defaultText(field)}.` });
      continue;
    }
    const checked = SHAPE[field].safeParse(coerce(field, raw));
    if (checked.success) config[field] = checked.data;
    else {
      errors.push({
        field,
        message: `${field}: expected ${expected(field)}, got ${echo(raw)}; using ${defaultText(field)}.`,
      });
    }
  }

  // The data set follows the model: a model given without data gets its default data set; a
  // data set the model cannot use is reported and replaced by the model's default.
  const model = config.model as ExperimentConfig['model'];
  const allowed: readonly string[] = MODEL_DATA[model];
  if (!allowed.includes(config.data as string)) {
    if (values.has('data')) {
      errors.push({
        field: 'data',
        message: `data: ${echo(String(config.data))} does not fit model ${model} (it trains on ${allowed.join(', ')}); using ${allowed[0]}.`,
      });
    }
    config.data = allowed[0];
  }

  // Cross-field rules (dModel % heads): reset every field a failing rule involves.
  const whole = ExperimentSchema.safeParse(config);
  if (whole.success) return { config: whole.data, errors, extras };
  const reset = new Set<FieldName>();
  for (const issue of whole.error.issues) {
    const at = String(issue.path[0] ?? '');
    const involved = FIELD_SET.has(at)
      ? (CROSS_FIELD[at as FieldName] ?? [at as FieldName])
      : FIELDS;
    const given = involved.map((f) => `${f} = ${JSON.stringify(config[f])}`).join(', ');
    for (const f of involved) {
      reset.add(f);
      errors.push({
        field: f,
        message: `${f}: ${issue.message} (${given}); ${involved.join(' and ')} reset to their defaults.`,
      });
    }
  }
  for (const f of reset) config[f] = DEFAULT_CONFIG[f];
  const again = ExperimentSchema.safeParse(config);
  if (again.success) return { config: again.data, errors, extras };
  // Unreachable while DEFAULT_CONFIG is valid; kept so parsing can never throw or return junk.
  errors.push({
    field: 'url',
    message: 'The link does not describe a valid experiment; using all defaults.',
  });
  return { config: { ...DEFAULT_CONFIG, events: [...DEFAULT_CONFIG.events] }, errors, extras };
}

/**
 * Write an experiment as URL entries, in schema field order. Numbers use the shortest string
 * that parses back to the same double, so `parseExperimentParams(experimentToParams(c))` returns
 * `c` exactly (with `events` in step order). By default every field is written: the link holds
 * the whole experiment and does not depend on today's defaults.
 */
export function experimentToParams(
  config: ExperimentConfig,
  opts: { onlyNonDefault?: boolean } = {},
): [string, string][] {
  const out: [string, string][] = [];
  for (const field of FIELDS) {
    const value = config[field];
    const text = formatField(value);
    if (opts.onlyNonDefault === true && text === formatField(DEFAULT_CONFIG[field])) continue;
    out.push([field, text]);
  }
  return out;
}

function formatField(value: ExperimentConfig[FieldName]): string {
  if (typeof value === 'number') return formatNumber(value);
  if (typeof value === 'boolean') return value ? '1' : '0';
  if (typeof value === 'string') return value;
  return formatEvents(value);
}
