/** The shareable link: the run's experiment plus its logged events, so opening it replays the run. */
import type { ExperimentConfig, RunEvent } from '../core/config';
import { runEventOf } from '../core/config';
import type { PageFlags } from '../core/url';
import {
  DEFAULT_PAGE_FLAGS,
  experimentToParams,
  PAGE_FLAG_KEYS,
  pageFlagsToParams,
} from '../core/url';
import type { LoggedEvent } from './run-slice';

/**
 * URL keys read by the page itself, not experiment fields: `worker=0` (train on the main thread)
 * and the page flags (`present`, `hide`, `theme`; parsed by `parsePageFlags`).
 */
export const PAGE_PARAMS: ReadonlySet<string> = new Set(['worker', ...PAGE_FLAG_KEYS]);
const FLAG_KEYS: ReadonlySet<string> = new Set(PAGE_FLAG_KEYS);

/** Page entries other than the flags (kept in the link as they came). */
export function withoutPageFlags(page: readonly [string, string][]): [string, string][] {
  return page.filter(([k]) => !FLAG_KEYS.has(k));
}
/** The schema's cap on the events log. */
export const MAX_URL_EVENTS = 1000;

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
 * The events a link must carry: those the run started with (replayed, or still ahead) and those
 * the trainer logged since, one per step and target (α, β or a module): the last value given at
 * a step is the one in force after it (α 0.9 → 1.2 → 1.1 → 1.2 while paused at step 5 is
 * `5:alpha:1.2`), which also drops a replayed event logged again. In step order (stable), at most
 * {@link MAX_URL_EVENTS}.
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
  return out.slice(0, MAX_URL_EVENTS);
}

/** The experiment a link should describe for a run started with `runConfig` that logged `logged`. */
export function shareableConfig(
  runConfig: ExperimentConfig,
  logged: readonly LoggedEvent[],
): ExperimentConfig {
  return { ...runConfig, events: mergeEvents(runConfig.events, logged) };
}

/** `?…` for the experiment plus page parameters and the page flags (those not at their default). */
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
