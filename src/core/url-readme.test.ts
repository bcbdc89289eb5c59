import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ExperimentSchema } from './config';
import type { ExperimentConfig } from './config';
import { PRESET_IDS } from './presets';
import { EXTRA_PARAMS, paramDefault, paramRange } from './url';
import { FORK_PARAMS, MAX_FORK_STEP } from './fork';

/** README's table of URL parameters: first cell (the key, without backticks) → its cells. */
function readmeTable(): Map<string, string[]> {
  const text = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
  const start = text.indexOf('| parameter    | meaning');
  expect(start, "README's table of URL parameters").toBeGreaterThan(0);
  const rows = new Map<string, string[]>();
  for (const line of text.slice(start).split('\n').slice(2)) {
    if (!line.startsWith('|')) break;
    const cells = line.split(' | ').map((c) => c.replace(/^\|\s*|\s*\|$/g, '').trim());
    const key = /^`([^`]+)`$/.exec(cells[0] ?? '')?.[1];
    expect(key, `a row that names its parameter: ${line.slice(0, 40)}`).toBeDefined();
    rows.set(key!, cells);
  }
  return rows;
}

describe("README's table of URL parameters", () => {
  it('covers every pass-through key the URL codec accepts', () => {
    const rows = readmeTable();
    for (const key of EXTRA_PARAMS) expect(rows.has(key), `README row for ${key}`).toBe(true);
  });

  const rows = readmeTable();
  const fields = Object.keys(ExperimentSchema.shape) as (keyof ExperimentConfig)[];

  it("has one row per schema field (and preset, and a fork's fork and parent), in the order links are written", () => {
    expect([...rows.keys()]).toEqual(['preset', ...fields, ...FORK_PARAMS]);
  });

  it("states what a fork's fields accept, as core/fork.ts checks them", () => {
    expect(rows.get('fork')?.[3]).toBe(`integer 0–${MAX_FORK_STEP.toLocaleString('en')}`);
    expect(rows.get('parent')?.[3]).toContain('8 hex digits');
  });

  it.each(fields)('states the default and what %s accepts, as the schema does', (field) => {
    const cells = rows.get(field)!;
    expect(cells[2], `${field}: default`).toBe(paramDefault(field));
    expect(cells[3], `${field}: accepted`).toBe(paramRange(field));
  });

  it('names every preset', () => {
    expect(rows.get('preset')?.[3]).toBe(PRESET_IDS.map((p) => `\`${p}\``).join(', '));
  });

  it('states the caps the issue asked for (progSpan, warm-up, valEvery, valBatches, stopAt, channels)', () => {
    // These were missing from the README (issue 10); the derived text says what the schema caps.
    expect(rows.get('progSpan')?.[3]).toBe('integer 1–1,000,000');
    expect(rows.get('warmup')?.[3]).toBe('integer 0–100,000');
    expect(rows.get('valEvery')?.[3]).toBe('integer 1–100,000');
    expect(rows.get('valBatches')?.[3]).toBe('integer 1–64');
    expect(rows.get('stopAt')?.[3]).toBe('integer 0–10,000,000');
    expect(rows.get('channels')?.[3]).toContain('from 1 to 999');
    expect(rows.get('events')?.[3]).toBe('up to 10,000 entries (below)');
  });
});
