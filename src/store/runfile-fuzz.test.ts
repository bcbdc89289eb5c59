/**
 * The seeded run-file fuzz (issue 10): 200 files made from two real exports (a tiny BERT with a
 * slider move and an override; an MLP with its decision boundary) by deleting, retyping,
 * stretching and shuffling fields, hostile strings, `__proto__` keys, config values that no
 * longer match the weights, and cut or garbled text. Each goes through `readRunFileText`, what
 * the import worker and the in-thread import run.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../core/config';
import type { ExperimentConfig } from '../core/config';
import { presetConfig } from '../core/presets';
import type { RunFile } from '../core/runfile';
import { saveModelView } from '../core/runfile';
import type { SeededRng } from '../core/rng';
import { createRng } from '../core/rng';
import { Session } from '../core/session';
import { TINY_MLM } from '../core/testing/session';
import { loadTaskDataFromDisk } from '../node/deps';
import { importRunText } from './actions';
import { readRunFileText } from './run-import';
import { resetStore, useLabStore } from './store';

const CASES = 200;
type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Path = (string | number)[];

/** A real export of `config` after `steps` steps (the worker's file: with its model view). */
async function realExport(
  config: ExperimentConfig,
  steps: number,
  moves: (s: Session) => void,
): Promise<string> {
  const s = new Session(config, loadTaskDataFromDisk(config));
  const loss: number[] = [];
  const step: number[] = [];
  moves(s);
  for (let i = 0; i < steps; i++) {
    const r = await s.advance();
    loss.push((await r.loss.data())[0]!);
    step.push(i + 1);
    r.loss.dispose();
  }
  const file: RunFile = await s.exportRun(
    { backend: 'cpu', adapter: '', isFallbackAdapter: false },
    { step, loss, flops: step.map((x) => x * 10), vanillaFlops: step.map((x) => x * 12) },
    { step: [steps], perplexity: [2.5] },
  );
  const view = await s.task.view?.();
  s.dispose();
  return JSON.stringify({
    ...file,
    ...(view ? { modelView: { step: s.step, view: saveModelView(view) } } : {}),
    medianStepMs: 3.5,
  });
}

let bases: string[] = [];
beforeAll(async () => {
  await tf.setBackend('cpu');
  bases = [
    await realExport({ ...DEFAULT_CONFIG, ...TINY_MLM, K: 2, backend: 'cpu' }, 4, (s) => {
      s.setParam('alpha', 1.3, true);
      s.override('L0.H1', 'off');
    }),
    await realExport(
      { ...presetConfig('mlp-circles')!, points: 100, K: 2, probe: 4, backend: 'cpu' },
      3,
      (s) => s.setParam('beta', 0.05, true),
    ),
  ];
});
afterAll(() => resetStore());

const HOSTILE: Json[] = [
  null,
  true,
  '',
  'bogus',
  '__proto__',
  '<img src=x onerror=alert(1)>',
  -1,
  0,
  1.5,
  1e308,
  2 ** 31 + 1,
  [],
  {},
  [null],
  { toString: 'x' },
];
const pick = <T>(rng: SeededRng, items: readonly T[]): T => items[rng.int(items.length)]!;

/** Every path in `v` (objects and arrays, not into long arrays beyond their first entries). */
function paths(v: Json, at: Path = [], out: Path[] = []): Path[] {
  if (v === null || typeof v !== 'object') return out;
  const keys: (string | number)[] = Array.isArray(v)
    ? [...v.keys()].filter((i) => i < 3 || i === v.length - 1)
    : Object.keys(v);
  for (const k of keys) {
    const p = [...at, k];
    out.push(p);
    paths((v as Record<string | number, Json>)[k]!, p, out);
  }
  return out;
}

function parentOf(root: Json, p: Path): Record<string | number, Json> {
  let v = root as Record<string | number, Json>;
  for (const k of p.slice(0, -1)) v = v[k] as Record<string | number, Json>;
  return v;
}

/** One mutation of a parsed file, in place; returns what it did and where. */
function mutate(rng: SeededRng, root: Json): { what: string; path: Path } {
  const all = paths(root);
  const p = pick(rng, all);
  const parent = parentOf(root, p);
  const key = p[p.length - 1]!;
  const value = parent[key]!;
  switch (rng.int(9)) {
    case 0:
      if (Array.isArray(parent)) parent.splice(Number(key), 1);
      else delete parent[key];
      return { what: 'delete', path: p };
    case 1:
      parent[key] = pick(rng, HOSTILE);
      return { what: 'hostile value', path: p };
    case 2:
      if (typeof value === 'number')
        parent[key] = pick(rng, [value + 1, -value - 1, value * 1e6, value + 0.5]);
      else parent[key] = pick(rng, HOSTILE);
      return { what: 'number', path: p };
    case 3:
      if (Array.isArray(value) && value.length > 0) {
        const op = rng.int(4);
        if (op === 0) value.push(structuredClone(value[0]!));
        else if (op === 1) value.length = rng.int(value.length);
        else if (op === 2) value.reverse();
        else value.splice(rng.int(value.length), 0, structuredClone(pick(rng, value)));
      } else parent[key] = [];
      return { what: 'array', path: p };
    case 4: {
      // An own key named __proto__ (as JSON can hold one), or an unknown key.
      const target =
        value !== null && typeof value === 'object' && !Array.isArray(value) ? value : parent;
      const name = pick(rng, ['__proto__', 'constructor', 'extra']);
      Object.defineProperty(target, name, {
        value: { polluted: 1 },
        enumerable: true,
        configurable: true,
        writable: true,
      });
      return { what: `key ${name}`, path: p };
    }
    case 5: {
      // The config no longer matches the modules and weights (or, by chance, still does).
      const config = (root as Record<string, Record<string, Json>>).config!;
      const field = pick(rng, [
        'heads',
        'layers',
        'dModel',
        'hidden',
        'features',
        'model',
        'probe',
        'K',
        'seed',
      ]);
      config[field] = pick(rng, [1, 2, 4, 8, '6', '8,8', 'x,y', 'mlp', 'vgg', 7]);
      return { what: `config.${field}`, path: ['config', field] };
    }
    case 6: {
      // Benign changes a real file can have: another date, step time, losses, adapter.
      const r = root as Record<string, Json>;
      const op = rng.int(4);
      if (op === 0) r.createdAt = '2027-01-02T03:04:05.000Z';
      else if (op === 1) r.medianStepMs = pick(rng, [null, 12.5, 0]);
      else if (op === 2)
        (r.metrics as Record<string, Json[]>).loss![0] = pick(rng, [null, 0.25, 7]);
      else (r.backend as Record<string, Json>).adapter = 'another adapter';
      return { what: 'benign', path: [] };
    }
    case 7:
      if (Array.isArray(parent) && parent.length > 1) {
        const j = rng.int(parent.length);
        [parent[Number(key)], parent[j]] = [parent[j]!, parent[Number(key)]!];
      } else parent[key] = pick(rng, HOSTILE);
      return { what: 'swap', path: p };
    default:
      parent[key] = pick(rng, ['bogus', '<script>alert(1)</script>', '__proto__', 'x'.repeat(300)]);
      return { what: 'string', path: p };
  }
}

/** Text-level damage: cut, garbled, wrapped, or not a run file at all. */
function damage(rng: SeededRng, text: string): string {
  switch (rng.int(6)) {
    case 0:
      return text.slice(0, rng.int(text.length));
    case 1: {
      const at = rng.int(text.length);
      return text.slice(0, at) + pick(rng, ['}', '"', ',', '\u0000', 'NaN']) + text.slice(at + 1);
    }
    case 2:
      return `\ufeff${text}`;
    case 3:
      return pick(rng, ['', 'null', '[]', '"run"', '1e999', '{"format":"mat-lab-run"}']);
    case 4:
      return `${'['.repeat(50_000)}${']'.repeat(50_000)}`;
    default:
      return `[${text}]`;
  }
}

/** A refusal names the field at fault: `…: <path>: <why>` (zod's path, or `file` for the root). */
const NAMED_FIELD =
  /^fuzz\.json could not be imported\. This (?:is not a valid MAT Lab run file|run file is inconsistent): ([A-Za-z_$][\w$]*(?:\.[\w$]+)*): ./;
const NOT_JSON = /^fuzz\.json could not be imported: it is not JSON \(.+\)\.$/;

describe('the seeded run-file fuzz', () => {
  it(`${CASES} mutated real exports: no exception, every refusal names a field, the accepted import`, () => {
    const rng = createRng(20_261_211);
    const topKeys = new Set(bases.flatMap((b) => Object.keys(JSON.parse(b) as object)));
    const problems: string[] = [];
    const counts = { accepted: 0, refused: 0, notJson: 0, sameTopField: 0 };
    let maxMs = 0;
    for (let c = 0; c < CASES; c++) {
      const root = JSON.parse(pick(rng, bases)) as Json;
      const done: { what: string; path: Path }[] = [];
      let text: string;
      if (rng.next() < 0.12) {
        text = damage(rng, JSON.stringify(root));
        done.push({ what: 'text', path: [] });
      } else {
        for (let k = 1 + rng.int(2); k > 0; k--) done.push(mutate(rng, root));
        text = JSON.stringify(root);
      }
      const label = `case ${c} (${done.map((d) => `${d.what} at ${d.path.join('.')}`).join('; ')})`;
      const t = performance.now();
      let result: ReturnType<typeof readRunFileText>;
      try {
        result = readRunFileText(text, 'fuzz.json');
      } catch (e) {
        problems.push(`${label}: threw ${String(e)}`);
        continue;
      }
      maxMs = Math.max(maxMs, performance.now() - t);
      if (result.ok) {
        counts.accepted++;
        // What is accepted imports: the store shows it, with no import error.
        resetStore();
        if (!importRunText(text, 'fuzz.json') || useLabStore.getState().view !== 'imported')
          problems.push(`${label}: accepted but not imported`);
        continue;
      }
      if (NOT_JSON.test(result.message)) {
        counts.notJson++;
        if (done[0]?.what !== 'text') problems.push(`${label}: valid JSON called not JSON`);
        continue;
      }
      counts.refused++;
      const field = NAMED_FIELD.exec(result.message)?.[1];
      if (!field) problems.push(`${label}: names no field: ${result.message.slice(0, 160)}`);
      else if (field !== 'file' && !topKeys.has(field.split('.')[0]!))
        problems.push(`${label}: names ${field}, not a field of a run file`);
      else if (field.split('.')[0] === String(done[0]?.path[0])) counts.sameTopField++;
      if ([...result.message].some((ch) => ch.charCodeAt(0) < 0x20))
        problems.push(`${label}: a control character`);
    }
    expect(({} as Record<string, unknown>).polluted, 'no prototype pollution').toBeUndefined();
    console.info(
      `run-file fuzz: ${CASES} files, ${counts.accepted} accepted and imported, ${counts.refused} refused ` +
        `naming a field (${counts.sameTopField} in the part mutated), ${counts.notJson} not JSON; ` +
        `slowest check ${maxMs.toFixed(1)} ms`,
    );
    expect(problems.slice(0, 10)).toEqual([]);
    expect(counts.accepted + counts.refused + counts.notJson).toBe(CASES);
    // Both sides are reached.
    expect(counts.accepted).toBeGreaterThan(15);
    expect(counts.refused).toBeGreaterThan(100);
  });
});
