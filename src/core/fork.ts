/**
 * Forks (issue 11): a new run that starts from a checkpoint of another one, taken at one of its
 * evaluations, and trains on from there. Pure: the worker (its checkpoint ring) and the page
 * (an imported run file's checkpoints) build the same fork, and the URL codec reads the link's
 * `fork` and `parent` fields with these rules.
 */
import type { RunCheckpoint } from './checkpoint';

/** The link's fields that say a run is a fork (pass-through: not part of the experiment). */
export const FORK_PARAMS = ['fork', 'parent'] as const;

/** Largest step a `fork` field accepts (the schema's `stopAt` cap: no run gets further). */
export const MAX_FORK_STEP = 10_000_000;

/**
 * The checkpoint a fork starts from: the run as it was at `c`'s step with its future dropped.
 * The change log up to the step stays (it is the fork's history too); the parent's link events
 * still to replay (`session.replay`) go, so what happens from the step on is the fork's own: a
 * fork no one changes trains on exactly as its parent did (when the parent's link had no events
 * at or after the step), and α/β moves or overrides made after forking are the fork's events at
 * steps ≥ the fork's. The config's `events` are emptied for the same reason: the restored
 * change log (posted as `event` messages) is what the fork's link records.
 */
export function asFork(c: RunCheckpoint): RunCheckpoint {
  return {
    ...c,
    config: { ...c.config, events: [] },
    session: { ...c.session, replay: { params: [], overrides: [] } },
  };
}

/**
 * The `parent` field of a fork's link: FNV-1a (32 bits, 8 hex digits) of the parent's link query
 * when it was forked. It names the parent without carrying it: the run list's runs can be matched
 * against it, and two forks of one run share it.
 */
export function parentId(parentSearch: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < parentSearch.length; i++) {
    h ^= parentSearch.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(16).padStart(8, '0');
}

/**
 * The link's `fork` and `parent` values checked: bad ones are dropped from `extras` and said in
 * a sentence naming the field (`echo` quotes a value safely: url.ts's). `parent` without `fork` is refused too (it would name a parent of
 * a run that is no fork).
 */
export function checkForkParams(
  extras: Record<string, string>,
  echo: (value: string) => string,
): { field: string; message: string }[] {
  const errors: { field: string; message: string }[] = [];
  const fork = extras.fork;
  if (fork !== undefined) {
    const n = /^\d{1,8}$/.test(fork) ? Number(fork) : NaN;
    if (!(n >= 0 && n <= MAX_FORK_STEP)) {
      delete extras.fork;
      errors.push({
        field: 'fork',
        message: `fork: ${echo(fork)} is not a step (an integer 0–${MAX_FORK_STEP.toLocaleString('en')}); ignored.`,
      });
    }
  }
  const parent = extras.parent;
  if (parent !== undefined) {
    if (!/^[0-9a-f]{8}$/.test(parent)) {
      delete extras.parent;
      errors.push({
        field: 'parent',
        message: `parent: ${echo(parent)} is not a run's identifier (8 hex digits, 0–9 and a–f); ignored.`,
      });
    } else if (extras.fork === undefined) {
      delete extras.parent;
      errors.push({ field: 'parent', message: 'parent: given without fork; ignored.' });
    }
  }
  return errors;
}

/** Link parameters without a fork's `fork` and `parent` (a run that is no fork). */
export function withoutForkParams(passThrough: readonly [string, string][]): [string, string][] {
  return passThrough.filter(([k]) => !(FORK_PARAMS as readonly string[]).includes(k));
}

/** Link parameters naming the run a fork of the run `parentSearch` at `step`. */
export function withForkParams(
  passThrough: readonly [string, string][],
  step: number,
  parentSearch: string,
): [string, string][] {
  return [
    ...withoutForkParams(passThrough),
    ['fork', String(step)],
    ['parent', parentId(parentSearch)],
  ];
}
