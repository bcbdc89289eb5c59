/**
 * The shareable-URL codec: an experiment is a flat list of `key=value` pairs holding every
 * field of {@link ExperimentConfig}, so a link replays the same run. Parsing never throws: each
 * field is coerced from its string on its own and checked against that field's zod schema; a
 * bad field is reported as a sentence and falls back to its default while the others keep their
 * values. Core code has no DOM, so the caller turns `URLSearchParams` into entries.
 */
import { z } from 'zod';
import {
  DEFAULT_CONFIG,
  ExperimentSchema,
  LIVE_PARAMS,
  MAX_LINK_EVENTS,
  MODEL_DATA,
  MODULE_ID_PATTERN,
  OVERRIDE_MODES,
} from './config';
import { PRESET_IDS, presetConfig } from './presets';
import { checkForkParams, FORK_PARAMS } from './fork';
import type { ExperimentConfig, LiveParam, OverrideMode, RunEvent } from './config';
import { canonicalModuleList } from './families/transformer/selection';

/** Keys that are not part of the experiment but are passed through for later features. */
export const EXTRA_PARAMS = ['preset', ...FORK_PARAMS] as const;
/** Longest value accepted for any key except `events`. */
export const MAX_VALUE_LENGTH = 256;
/** Most `key=value` pairs read from one URL; the rest are ignored with an error. */
export const MAX_PARAMS = 64;
/** Most entries in the `events` log (the schema's cap, {@link MAX_LINK_EVENTS}). */
export const MAX_EVENTS = MAX_LINK_EVENTS;
/**
 * Longest `events` value: {@link MAX_EVENTS} entries of at most 48 characters each (step, name,
 * shortest round-trip double, two colons, comma; an override: step, module id of at most 32
 * characters, mode). `events` is exempt from
 * {@link MAX_VALUE_LENGTH}, which would otherwise cap the log at about twenty entries.
 */
export const MAX_EVENTS_LENGTH = MAX_EVENTS * 48;
/**
 * Longest number read (a field, a step or a value in `events`): `String(x)` of a double is at
 * most 24 characters (`-1.2345678901234567e-308`); 64 leaves room for hand-typed digits. Longer
 * text is refused before any pattern looks at it.
 */
export const MAX_NUMBER_LENGTH = 64;
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
const MODE_SET: ReadonlySet<string> = new Set(OVERRIDE_MODES);

/**
 * Fields involved in each cross-field rule, keyed by the path zod reports. On a violation all of
 * them go back to their defaults, which satisfy every rule together.
 */
const CROSS_FIELD: Partial<Record<FieldName, readonly FieldName[]>> = {
  dModel: ['dModel', 'heads'],
  channels: ['channels', 'groupSize'],
  fc: ['fc', 'groupSize'],
};

/**
 * A plain decimal number (what `String(x)` writes for a finite double); no hex, no blanks. Every
 * digit can be matched in one way only (the fraction's digits only after the point), so the
 * test is linear in the length: the earlier `\d+\.?\d*` split a run of digits in every way
 * before failing, and took 4 to 14 s on 47,990 digits followed by `x`.
 */
const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:e[+-]?\d+)?$/i;

/**
 * JSON-style escaping without the quotes: quotes, backslashes and control characters are
 * escaped; every other character, `<` and `>` included, stays itself. Messages are shown as
 * text (React escapes them), never parsed as markup, so `<script>` reads as those characters.
 */
function escapeText(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

/**
 * A value made safe to show as text: at most {@link ECHO_LENGTH} characters, quoted, control
 * characters escaped, with its length when it was cut. It must be shown as text, never as markup.
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
  if (raw.length > MAX_NUMBER_LENGTH || !DECIMAL.test(raw)) return undefined;
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
    return `up to ${MAX_EVENTS} comma-separated step:target:value entries, e.g. "40:alpha:1.2,60:L0.N3:off"`;
  }
  // A pattern's own words (e.g. "features from x, y, x2, …"): the message of a value it rejects.
  if (schema instanceof z.ZodString) {
    const words = schema.safeParse('').error?.issues[0]?.message;
    if (words) return words;
  }
  return 'a valid value';
}

/** A bound as the README writes it: integers with thousands separators (`1,000,000`). */
function bound(x: number): string {
  return Number.isInteger(x) ? x.toLocaleString('en') : String(x);
}

/**
 * What a URL parameter accepts, as README's table of parameters states it (Markdown), derived
 * from the field's schema: a range, the options, or the words of its pattern. A test checks the
 * README against it.
 */
export function paramRange(field: FieldName): string {
  const shape = SHAPE[field];
  const schema = shape instanceof z.ZodDefault ? shape.unwrap() : shape;
  if (schema instanceof z.ZodNumber) {
    const range = `${bound(schema.minValue ?? -Infinity)}–${bound(schema.maxValue ?? Infinity)}`;
    return schema.isInt ? `integer ${range}` : range;
  }
  if (schema instanceof z.ZodEnum) return schema.options.map((o) => `\`${o}\``).join(', ');
  if (schema instanceof z.ZodBoolean) return '`1`, `0`, `true`, `false`';
  if (field === 'events') return `up to ${bound(MAX_EVENTS)} entries (below)`;
  return expected(field);
}

/** A field's default as README's table of parameters writes it (Markdown). */
export function paramDefault(field: FieldName): string {
  const value = DEFAULT_CONFIG[field];
  if (typeof value === 'number') return String(value);
  if (typeof value === 'boolean') return value ? '`1`' : '`0`';
  if (typeof value === 'string') return `\`${value}\``;
  return value.length === 0 ? 'empty' : `\`${formatEvents(value)}\``;
}

/**
 * What a rejected field falls back to, in words: the value it keeps, the preset's (`presetId`)
 * when the link names one, else the default. Named as used, so `features` of `mlp-circles` says
 * x,y,x2,y2, not the lab's default x,y.
 */
function fallbackText(field: FieldName, base: ExperimentConfig, presetId?: string): string {
  const value = field === 'events' ? '' : String(base[field]);
  const isDefault = value === (field === 'events' ? '' : String(DEFAULT_CONFIG[field]));
  if (field === 'events') return 'an empty log';
  if (presetId !== undefined && !isDefault) return `the ${presetId} preset's ${value}`;
  return `the default ${value}`;
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

type EventsResult = { ok: true; events: RunEvent[] } | { ok: false; message: string };

/** Largest step an event may name (the schema's). */
const MAX_EVENT_STEP = 10_000_000;

/** Whether `x` is within a number field's schema bounds (checked without zod: 10,000 entries). */
function inBounds(field: LiveParam, x: number): boolean {
  const schema = SHAPE[field];
  return x >= (schema.minValue ?? -Infinity) && x <= (schema.maxValue ?? Infinity);
}

/**
 * `step:target:value` entries, comma-separated; the empty string is the empty log. A target is a
 * live parameter (`alpha`, `beta`) with a number, checked against its own range (β ≤ 1, α ≤ 10),
 * or a module id (`L0.N3`) with `on`, `off` or `auto` (a manual override; `auto` gives the module
 * back to the policy). Whether the module exists is checked when the run starts (the ids depend
 * on the model). The result is sorted by step, stably, so events at the same step keep their
 * order (the later one wins on replay). Each entry is checked against the schema's bounds by
 * hand, in one pass (zod per entry took about five times as long); `parseExperimentParams`
 * checks the whole experiment with the schema afterwards.
 */
export function parseEvents(raw: string): EventsResult {
  if (raw === '') return { ok: true, events: [] };
  const entries = raw.split(',');
  if (entries.length > MAX_EVENTS) {
    return { ok: false, message: `events: at most ${MAX_EVENTS} entries, got ${entries.length}` };
  }
  const events: RunEvent[] = [];
  const bad = (entry: string, why: string): EventsResult => ({
    ok: false,
    message: `events: entry ${echo(entry)} ${why}; expected step:target:value, e.g. "40:alpha:1.2" or "60:L0.N3:off"`,
  });
  for (const entry of entries) {
    const parts = entry.split(':', 4);
    if (parts.length !== 3) return bad(entry, 'does not have three parts');
    const [stepText = '', name = '', valueText = ''] = parts;
    const step = parseNumber(stepText);
    if (step === undefined || !Number.isInteger(step) || step < 0 || step > MAX_EVENT_STEP) {
      return bad(entry, `has a step that is not an integer between 0 and ${MAX_EVENT_STEP}`);
    }
    if (!LIVE_SET.has(name)) {
      if (!MODULE_ID_PATTERN.test(name)) {
        return bad(
          entry,
          `names neither a live parameter (${LIVE_PARAMS.join(', ')}) nor a module id`,
        );
      }
      if (!MODE_SET.has(valueText)) {
        return bad(
          entry,
          `has a value that is not one of ${OVERRIDE_MODES.join(', ')} (an override of ${name})`,
        );
      }
      events.push({ step, name: 'override', module: name, mode: valueText as OverrideMode });
      continue;
    }
    const live = name as LiveParam;
    const value = parseNumber(valueText);
    if (value === undefined || !inBounds(live, value)) {
      return bad(entry, `has a value that is not ${expected(live)}`);
    }
    events.push({ step, name: live, value });
  }
  events.sort((a, b) => a.step - b.step);
  return { ok: true, events };
}

/** One `events` entry: `step:alpha:1.2`, `step:beta:0.05`, or `step:<module id>:on|off|auto`. */
export function formatEvent(e: RunEvent): string {
  return e.name === 'override'
    ? `${formatNumber(e.step)}:${e.module}:${e.mode}`
    : `${formatNumber(e.step)}:${e.name}:${formatNumber(e.value)}`;
}

/** The compact `events` encoding, sorted by step (stable). */
export function formatEvents(events: readonly RunEvent[]): string {
  return [...events]
    .sort((a, b) => a.step - b.step)
    .map(formatEvent)
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
  const presetName = preset ? presetId : undefined;
  const fallback = (field: FieldName) => fallbackText(field, base, presetName);
  const config: Record<string, unknown> = { ...base, events: [...base.events] };
  for (const [key, list] of values) {
    const known = FIELD_SET.has(key);
    const extra = EXTRA_SET.has(key);
    if (!known && !extra) {
      // An empty key (`?=1`) is named as the two quotes its message shows.
      errors.push({
        field: key === '' ? '""' : safeKey(key),
        message: `${echo(key)}: unknown parameter, ignored.`,
      });
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
      const instead = known ? `; using ${fallback(key as FieldName)}` : '; ignored';
      errors.push({
        field: key,
        message: `${key}: value is ${raw.length} characters long, more than the ${limit} allowed (starts ${echo(raw)})${instead}.`,
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
      else errors.push({ field, message: `${parsed.message}; using ${fallback(field)}.` });
      continue;
    }
    const checked = SHAPE[field].safeParse(coerce(field, raw));
    if (checked.success) config[field] = checked.data;
    else {
      errors.push({
        field,
        message: `${field}: expected ${expected(field)}, got ${echo(raw)}; using ${fallback(field)}.`,
      });
    }
  }

  // A fork's `fork` and `parent` (core/fork.ts): bad values are said and dropped.
  errors.push(...checkForkParams(extras, echo));

  // The data set follows the model: a model given without data gets its default data set; a
  // data set the model cannot use is reported and replaced by the preset's when that fits the
  // model, else by the model's default (the message names the one used).
  const model = config.model as ExperimentConfig['model'];
  const allowed: readonly string[] = MODEL_DATA[model];
  if (!allowed.includes(config.data as string)) {
    const presetData = presetName !== undefined && allowed.includes(base.data);
    const instead = presetData ? base.data : allowed[0];
    const used = presetData ? `the ${presetName} preset's ${instead}` : instead;
    // A refused `data` fell back to the preset's or the default data set, which this model does
    // not train on either: that message must name the data set actually used.
    const refused = errors.findLastIndex(
      (e) => e.field === 'data' && e.message.lastIndexOf('; using ') > 0,
    );
    const earlier = errors[refused];
    if (earlier) {
      const cut = earlier.message.lastIndexOf('; using ');
      errors[refused] = {
        field: 'data',
        message: `${earlier.message.slice(0, cut)}; using ${used} (model ${model} trains on ${allowed.join(', ')}).`,
      };
    } else if (values.has('data')) {
      errors.push({
        field: 'data',
        message: `data: ${echo(String(config.data))} does not fit model ${model} (it trains on ${allowed.join(', ')}); using ${used}.`,
      });
    }
    config.data = instead;
  }

  // Cross-field rules (dModel % heads, …): reset every field a failing rule involves, to the
  // preset's values, or to the defaults where the preset's still break a rule (the preset's
  // step kernel with a probe larger than the batch given). The messages name the values used.
  const whole = checkExperiment(config);
  if (whole.success) return { config: whole.data, errors, extras };
  const broken = whole.error.issues.map((issue) => {
    const at = String(issue.path[0] ?? '');
    const involved = FIELD_SET.has(at)
      ? (CROSS_FIELD[at as FieldName] ?? [at as FieldName])
      : FIELDS;
    return { message: issue.message, involved, given: valuesText(config, involved) };
  });
  const reset = new Set(broken.flatMap((b) => b.involved));
  let toDefaults = presetName === undefined;
  for (const f of reset) config[f] = base[f];
  if (!toDefaults && !checkExperiment(config).success) {
    toDefaults = true;
    for (const f of reset) config[f] = DEFAULT_CONFIG[f];
  }
  for (const { message, involved, given } of broken) {
    const one = involved.length === 1;
    const values = toDefaults
      ? one
        ? 'its default'
        : 'their defaults'
      : `the ${presetName} preset's ${one ? 'value' : 'values'}`;
    for (const f of involved) {
      errors.push({
        field: f,
        message: `${f}: ${message} (${given}); ${involved.join(' and ')} reset to ${values} (${valuesText(config, involved)}).`,
      });
    }
  }
  const again = checkExperiment(config);
  if (again.success) return { config: again.data, errors, extras };
  // Unreachable while DEFAULT_CONFIG is valid; kept so parsing can never throw or return junk.
  errors.push({
    field: 'url',
    message: 'The link does not describe a valid experiment; using all defaults.',
  });
  return { config: { ...DEFAULT_CONFIG, events: [...DEFAULT_CONFIG.events] }, errors, extras };
}

/**
 * The schema's check of an experiment read from a link, but for `events`: `parseEvents` checked
 * each entry against the same bounds (10,000 entries through zod again took as long as the rest
 * of the parse), and a preset's or the default log is empty. The URL fuzz test checks every
 * parsed experiment against the whole schema.
 */
function checkExperiment(config: Record<string, unknown>) {
  const r = ExperimentSchema.safeParse({ ...config, events: [] });
  if (!r.success) return r;
  return { success: true as const, data: { ...r.data, events: config.events as RunEvent[] } };
}

/** `dModel = 64, heads = 4`: fields and their values, as a message shows them. */
function valuesText(config: Record<string, unknown>, fields: readonly FieldName[]): string {
  return fields.map((f) => `${f} = ${JSON.stringify(config[f])}`).join(', ');
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

/* ---- page flags: how the page shows the experiment (not part of it), kept in the link ---- */

/** The colour themes; `theme=` in the URL picks one over the stored choice and the system's. */
export const THEMES = ['light', 'dark'] as const;
export type ThemeName = (typeof THEMES)[number];

/**
 * Parts of the page that `hide=` can hide (comma-separated, as TensorFlow Playground's flags):
 * the sidebar's panels and the content's cards.
 */
export const HIDE_KEYS = [
  'controls',
  'sliders',
  'experiment',
  'model',
  'share',
  'saved',
  'compute',
  'compare',
  'loss',
  'runs',
  'report',
  'view',
  'scrub',
  'heatmap',
  'timeline',
  'explain',
] as const;
export type HideKey = (typeof HIDE_KEYS)[number];

export const PageFlagsSchema = z.object({
  /** Presenter mode: big type, the heatmap, timeline and compute on one screen. */
  present: z.boolean(),
  /** Parts hidden, each once, in {@link HIDE_KEYS} order. */
  hide: z.array(z.enum(HIDE_KEYS)).max(HIDE_KEYS.length),
  /** A theme forced by the link; absent: the stored choice or the system's. */
  theme: z.enum(THEMES).optional(),
  /**
   * The lab's fused WebGPU kernels (core/fused); `fused=0` runs the composed TF.js ops instead,
   * to compare the two on one machine. No effect off WebGPU.
   */
  fused: z.boolean(),
});
export type PageFlags = z.infer<typeof PageFlagsSchema>;

/** The URL keys of the page flags. */
export const PAGE_FLAG_KEYS = ['present', 'hide', 'theme', 'fused'] as const;

export const DEFAULT_PAGE_FLAGS: PageFlags = { present: false, hide: [], fused: true };

const FLAG_BOOL = z.enum(['1', '0', 'true', 'false']).transform((v) => v === '1' || v === 'true');

/**
 * Page flags from URL entries (keys other than {@link PAGE_FLAG_KEYS} are ignored). Never
 * throws: a bad value is reported and that flag keeps its default; unknown parts of `hide` are
 * reported and the known ones kept. The last of repeated keys wins.
 */
export function parsePageFlags(entries: Iterable<[string, string]>): {
  flags: PageFlags;
  errors: ParamError[];
} {
  const errors: ParamError[] = [];
  const flags: PageFlags = { ...DEFAULT_PAGE_FLAGS, hide: [] };
  const last = new Map<string, string>();
  for (const [k, v] of entries)
    if ((PAGE_FLAG_KEYS as readonly string[]).includes(k)) last.set(k, v);
  /** A 1/0/true/false flag: its value, or a message naming it and what it stays at. */
  const readBool = (key: 'present' | 'fused', stays: string): boolean | undefined => {
    const raw = last.get(key);
    if (raw === undefined) return undefined;
    const p = FLAG_BOOL.safeParse(raw);
    if (p.success) return p.data;
    errors.push({
      field: key,
      message: `${key}: expected 1, 0, true or false, got ${echo(raw)}; ${stays}.`,
    });
    return undefined;
  };
  flags.present = readBool('present', 'presenter mode stays off') ?? flags.present;
  flags.fused = readBool('fused', 'the fused kernels stay on') ?? flags.fused;
  const hide = last.get('hide');
  if (hide !== undefined) {
    const parts = hide
      .slice(0, MAX_VALUE_LENGTH)
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const known = new Set<HideKey>();
    const unknown: string[] = [];
    for (const part of parts) {
      const k = z.enum(HIDE_KEYS).safeParse(part);
      if (k.success) known.add(k.data);
      else unknown.push(part);
    }
    flags.hide = HIDE_KEYS.filter((k) => known.has(k));
    if (unknown.length > 0)
      errors.push({
        field: 'hide',
        message: `hide: ${unknown.slice(0, 5).map(echo).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not a part of the page, ignored; known: ${HIDE_KEYS.join(', ')}.`,
      });
  }
  const theme = last.get('theme');
  if (theme !== undefined) {
    const t = z.enum(THEMES).safeParse(theme);
    if (t.success) flags.theme = t.data;
    else
      errors.push({
        field: 'theme',
        message: `theme: expected ${THEMES.join(' or ')}, got ${echo(theme)}; using the system's theme.`,
      });
  }
  return { flags: PageFlagsSchema.parse(flags), errors };
}

/** The flags as URL entries: only those that differ from the defaults, in a fixed order. */
export function pageFlagsToParams(flags: PageFlags): [string, string][] {
  const out: [string, string][] = [];
  if (flags.present) out.push(['present', '1']);
  if (flags.hide.length > 0)
    out.push(['hide', HIDE_KEYS.filter((k) => flags.hide.includes(k)).join(',')]);
  if (flags.theme) out.push(['theme', flags.theme]);
  if (!flags.fused) out.push(['fused', '0']);
  return out;
}

/* ---- compare=: a second arm of the same experiment (Live A/B) ---- */

/** The URL key of the second arm (README, "Live A/B"). */
export const COMPARE_KEY = 'compare';

/**
 * Fields a second arm may change: the policy and its knobs, the learning rate and K. None of them
 * changes the seed, the data, the model, the batch or the probe, and each draws from its own
 * random stream (session.ts: batches and policy are forked from the seed), so both arms see the
 * same data order, initial weights and probe batch.
 */
export const COMPARE_FIELDS = [
  'policy',
  'lr',
  'alpha',
  'beta',
  'K',
  'warmup',
  'window',
  'ref',
  'stop',
  'progSpan',
] as const satisfies readonly FieldName[];
export type CompareField = (typeof COMPARE_FIELDS)[number];
const COMPARE_SET: ReadonlySet<string> = new Set(COMPARE_FIELDS);

/** The second arm: arm A's experiment with these fields changed (none: the same config). */
export type CompareSpec = Partial<Pick<ExperimentConfig, CompareField>>;

export type CompareParse =
  { ok: true; spec: CompareSpec | null } | { ok: false; error: ParamError };

/**
 * `compare=` as the link gives it: `none` or empty (no second arm), a policy (`vanilla`), or
 * comma-separated `field:value` overrides, optionally led by a policy
 * (`mat,alpha:1.2,K:20`; `policy:random` is the same as `random`). A field outside
 * {@link COMPARE_FIELDS} is refused with a sentence naming it, as is a bad value; either way
 * there is no second arm. Never throws.
 */
export function parseCompare(raw: string): CompareParse {
  const fail = (message: string): CompareParse => ({
    ok: false,
    error: { field: COMPARE_KEY, message: `${COMPARE_KEY}: ${message}; no second arm is run.` },
  });
  if (raw.length > MAX_VALUE_LENGTH)
    return fail(
      `value is ${raw.length} characters long, more than the ${MAX_VALUE_LENGTH} allowed`,
    );
  if (raw === '' || raw === 'none') return { ok: true, spec: null };
  const spec: Record<string, unknown> = {};
  for (const token of raw.split(',')) {
    const at = token.indexOf(':');
    const [key, text] = at < 0 ? ['policy', token] : [token.slice(0, at), token.slice(at + 1)];
    if (!COMPARE_SET.has(key)) {
      if (FIELD_SET.has(key))
        return fail(
          `${key} cannot differ between the two arms (they share the seed, data, model, batch and probe); only ${COMPARE_FIELDS.join(', ')} can`,
        );
      return fail(
        `${echo(key)} is not a field a second arm can change (${COMPARE_FIELDS.join(', ')})`,
      );
    }
    if (key in spec) return fail(`${key} is given twice`);
    const field = key as CompareField;
    const value = coerce(field, text);
    const checked = value === undefined ? null : SHAPE[field].safeParse(value);
    if (!checked?.success) return fail(`${field} ${echo(text)} is not ${expected(field)}`);
    spec[field] = checked.data;
  }
  return { ok: true, spec: spec as CompareSpec };
}

/**
 * The `compare=` value of a spec: its policy first (alone when that is all), then the other
 * fields as `field:value` in {@link COMPARE_FIELDS} order. `parseCompare(formatCompare(s))` is `s`.
 */
export function formatCompare(spec: CompareSpec | null): string {
  if (!spec) return 'none';
  const parts: string[] = [];
  for (const f of COMPARE_FIELDS) {
    const v = spec[f];
    if (v === undefined) continue;
    const text = formatField(v);
    parts.push(f === 'policy' ? text : `${f}:${text}`);
  }
  return parts.length === 0 ? 'none' : parts.join(',');
}

/**
 * Arm B's experiment: arm A's with the spec's fields, no logged changes and no autoplay (the
 * page drives both arms). Same seed, data, model, batch and probe by construction.
 */
export function compareConfig(a: ExperimentConfig, spec: CompareSpec): ExperimentConfig {
  return { ...a, ...spec, events: [], autoplay: false };
}
