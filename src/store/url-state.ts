/**
 * The shareable link: the run's experiment plus its logged events, so opening it replays the run.
 * A short link is a plain query (`?model=mlp&…`); one whose query would be longer than
 * {@link PLAIN_LINK_LIMIT} characters is compressed into the fragment (`#x=…`), which browsers
 * never send to a server (a query over ≈ 16 KiB gets HTTP 431 before the page loads). Both, and
 * plain fragments (`#model=mlp&…`), are read back (README, "The shareable URL").
 */
import type { ExperimentConfig, RunEvent } from '../core/config';
import { MAX_LINK_EVENTS, runEventOf } from '../core/config';
import { compressLinkText, decompressLinkText } from '../core/link-codec';
import type { PageFlags, ParamError, ParsedExperiment } from '../core/url';
import {
  DEFAULT_PAGE_FLAGS,
  experimentToParams,
  parseExperimentParams,
  parsePageFlags,
  MAX_EVENTS_LENGTH,
  MAX_PARAMS,
  MAX_VALUE_LENGTH,
  PAGE_FLAG_KEYS,
  pageFlagsToParams,
  COMPARE_KEY,
} from '../core/url';
import type { LoggedEvent } from './run-slice';

/**
 * URL keys read by the page itself, not experiment fields: `worker=0` (train on the main thread),
 * `compare=` (a second arm: `store/compare.ts`) and the page flags (`present`, `hide`, `theme`;
 * parsed by `parsePageFlags`).
 */
export const PAGE_PARAMS: ReadonlySet<string> = new Set(['worker', COMPARE_KEY, ...PAGE_FLAG_KEYS]);
const FLAG_KEYS: ReadonlySet<string> = new Set(PAGE_FLAG_KEYS);

/** Page entries other than the flags (kept in the link as they came). */
export function withoutPageFlags(page: readonly [string, string][]): [string, string][] {
  return page.filter(([k]) => !FLAG_KEYS.has(k));
}
/** Most events a link carries (the schema's cap); a run file keeps every logged change. */
export const MAX_URL_EVENTS = MAX_LINK_EVENTS;

/**
 * Longest plain query (the part after `?`) a link is written with; a longer one goes into the
 * fragment, compressed. 2,000 characters keeps plain links below the limits of old browsers and
 * of chat and mail clients that cut long addresses; a full experiment without events is ≈ 470.
 */
export const PLAIN_LINK_LIMIT = 2000;
/** The fragment key of a compressed link: `#x=<lz-string, URI-safe>`. */
export const COMPRESSED_KEY = 'x';
/**
 * Longest text a compressed link may expand to: the longest `events` value percent-encoded (its
 * `:` and `,` take three characters each: at most 54 per 48-character entry) and
 * {@link MAX_PARAMS} other values of {@link MAX_VALUE_LENGTH} characters, encoded. A fragment
 * that expands to more is refused before it is read.
 */
export const MAX_LINK_TEXT =
  (MAX_EVENTS_LENGTH / 48) * 54 + MAX_PARAMS * (3 * MAX_VALUE_LENGTH + 32);

/** Splits URL entries into experiment entries and page entries (kept as they are). */
export function splitPageParams(entries: Iterable<[string, string]>): {
  experiment: [string, string][];
  page: [string, string][];
} {
  const experiment: [string, string][] = [];
  const page: [string, string][] = [];
  for (const [k, v] of entries) (PAGE_PARAMS.has(k) ? page : experiment).push([k, v]);
  return { experiment, page };
}

/**
 * The events of a run as a link would carry them: those the run started with (replayed, or still
 * ahead) and those the trainer logged since, one per step and target (α, β or a module): the
 * last value given at a step is the one in force after it (α 0.9 → 1.2 → 1.1 → 1.2 while paused
 * at step 5 is `5:alpha:1.2`), which also drops a replayed event logged again. In step order
 * (stable); all of them (a link keeps the first {@link MAX_URL_EVENTS}: `shareableConfig`).
 */
export function mergeEvents(
  initial: readonly RunEvent[],
  logged: readonly LoggedEvent[],
): RunEvent[] {
  const at = new Map<string, number>();
  const out: RunEvent[] = [];
  const add = (e: RunEvent) => {
    const key = `${e.step}:${e.name === 'override' ? e.module : e.name}`;
    const i = at.get(key);
    if (i === undefined) {
      at.set(key, out.length);
      out.push(e);
    } else out[i] = e;
  };
  for (const e of initial) add(e);
  for (const e of logged) add(runEventOf(e));
  out.sort((a, b) => a.step - b.step);
  return out;
}

/**
 * The experiment a link should describe for a run started with `runConfig` that logged `logged`:
 * its first {@link MAX_URL_EVENTS} events in step order (the replay is exact up to the step of
 * the first one left out; `linkLeavesOut` says how many, and the Share panel says so).
 */
export function shareableConfig(
  runConfig: ExperimentConfig,
  logged: readonly LoggedEvent[],
): ExperimentConfig {
  return { ...runConfig, events: mergeEvents(runConfig.events, logged).slice(0, MAX_URL_EVENTS) };
}

/** Events of the run beyond what its link carries: how many, and the step of the first. */
export function linkLeavesOut(
  runConfig: ExperimentConfig,
  logged: readonly LoggedEvent[],
): { count: number; fromStep: number } | null {
  if (runConfig.events.length + logged.length <= MAX_URL_EVENTS) return null;
  const all = mergeEvents(runConfig.events, logged);
  const first = all[MAX_URL_EVENTS];
  return first ? { count: all.length - MAX_URL_EVENTS, fromStep: first.step } : null;
}

/**
 * `?…` for the experiment plus page parameters and the page flags (those not at their default):
 * the plain form, whatever its length (`shareableLink` decides which form a link takes).
 */
export function shareableSearch(
  config: ExperimentConfig,
  page: readonly [string, string][],
  flags: PageFlags = DEFAULT_PAGE_FLAGS,
): string {
  const params = new URLSearchParams([
    ...experimentToParams(config),
    ...withoutPageFlags(page),
    ...pageFlagsToParams(flags),
  ]);
  return `?${params.toString()}`;
}

/** A link's two parts: `search` is `''` or `?…`, `hash` is `''` or `#x=…`. */
export interface ShareLink {
  search: string;
  hash: string;
}

/**
 * The link of an experiment: the plain query when it has at most {@link PLAIN_LINK_LIMIT}
 * characters, else the same query compressed into the fragment (`#x=…`), with no query at all.
 */
export function shareableLink(
  config: ExperimentConfig,
  page: readonly [string, string][],
  flags: PageFlags = DEFAULT_PAGE_FLAGS,
): ShareLink {
  return linkOfSearch(shareableSearch(config, page, flags));
}

/** Whether a plain query (`?…`) is short enough to be the link as it is. */
export function isPlainLink(search: string): boolean {
  return search.length - 1 <= PLAIN_LINK_LIMIT;
}

/** The link of a plain query (`?…`): itself when short, else compressed into `#x=…`. */
export function linkOfSearch(search: string): ShareLink {
  if (isPlainLink(search)) return { search, hash: '' };
  return { search: '', hash: `#${COMPRESSED_KEY}=${compressLinkText(search.slice(1))}` };
}

/** Whether a fragment holds link parameters (`#x=…` or `#model=…`), not an in-page anchor. */
export function isParamFragment(hash: string): boolean {
  return hash.includes('=');
}

/**
 * The parameters a page address holds, in order: the query's, then the fragment's when it holds
 * parameters (a compressed `x` expanded where it stands). A fragment without `=` is an in-page
 * anchor and is not read. A compressed part that cannot be read is reported (field `link`) and
 * left out; the rest of the link is still read. Never throws.
 */
export function linkEntries(
  search: string,
  hash: string,
): { entries: [string, string][]; errors: ParamError[] } {
  const entries: [string, string][] = [...new URLSearchParams(search)];
  const errors: ParamError[] = [];
  const fragment = hash.startsWith('#') ? hash.slice(1) : hash;
  if (!isParamFragment(fragment)) return { entries, errors };
  for (const [k, v] of new URLSearchParams(fragment)) {
    if (k !== COMPRESSED_KEY) {
      entries.push([k, v]);
      continue;
    }
    const text = decompressLinkText(v, MAX_LINK_TEXT);
    if (text.ok) entries.push(...new URLSearchParams(text.text));
    else
      errors.push({
        field: 'link',
        message:
          text.reason === 'too-long'
            ? `link: the compressed part (#x=…, ${v.length} characters) expands to more than the ${MAX_LINK_TEXT} characters a link may hold; it was not read.`
            : `link: the compressed part (#x=…, ${v.length} characters) is not one this lab wrote (it may have been cut when copied); it was not read.`,
      });
  }
  return { entries, errors };
}

/** What a page address describes: the experiment, the page's own parameters and flags. */
export interface ReadLink extends ParsedExperiment {
  /** Page entries other than the flags (e.g. `worker=0`), kept in the link as they came. */
  page: [string, string][];
  flags: PageFlags;
}

/**
 * Reads a page address's `?query` and `#fragment` (`location.search + location.hash`, either
 * may be empty): every form {@link linkEntries} reads. Never throws; problems are in `errors`,
 * each naming its field.
 */
export function readLink(address: string): ReadLink {
  const at = address.indexOf('#');
  const { entries, errors } = linkEntries(
    at < 0 ? address : address.slice(0, at),
    at < 0 ? '' : address.slice(at),
  );
  const { experiment, page } = splitPageParams(entries);
  const parsed = parseExperimentParams(experiment);
  const flags = parsePageFlags(page);
  return {
    ...parsed,
    errors: [...errors, ...parsed.errors, ...flags.errors],
    page: withoutPageFlags(page),
    flags: flags.flags,
  };
}
