/** The shareable link: the run's experiment plus its logged events, so opening it replays the run. */
import type { ExperimentConfig, ParamEvent } from '../core/config';
import { experimentToParams } from '../core/url';
import type { LoggedEvent } from './run-slice';

/** URL keys read by the page itself, not experiment fields (`worker=0`: train on the main thread). */
export const PAGE_PARAMS: ReadonlySet<string> = new Set(['worker']);
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
 * the trainer logged since, without duplicates, in step order (stable), at most
 * {@link MAX_URL_EVENTS}.
 */
export function mergeEvents(
  initial: readonly ParamEvent[],
  logged: readonly LoggedEvent[],
): ParamEvent[] {
  const seen = new Set<string>();
  const out: ParamEvent[] = [];
  const add = (e: ParamEvent) => {
    const key = `${e.step}:${e.name}:${e.value}`;
    if (seen.has(key)) return;
    seen.add(key);
    out.push(e);
  };
  for (const e of initial) add(e);
  for (const e of logged) add({ step: e.step, name: e.name, value: e.to });
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

/** `?…` for the experiment plus page parameters. */
export function shareableSearch(
  config: ExperimentConfig,
  page: readonly [string, string][],
): string {
  const params = new URLSearchParams([...experimentToParams(config), ...page]);
  return `?${params.toString()}`;
}
