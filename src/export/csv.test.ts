import Papa from 'papaparse';
import { beforeEach, describe, expect, it } from 'vitest';
import { presetConfig } from '../core/presets';
import { applySettings, bootLab, configureMessageCommit } from '../store/actions';
import { runDiff, runSummary } from '../store/run-list';
import { resetStore, useLabStore } from '../store/store';
import { evaluationMsg, FakeTrainer, metricsMsg, MODULES, readyMsg } from '../store/testing';
import type { FromWorker } from '../protocol/messages';
import { lambdaCsv, LAMBDA_FIELDS, metricsCsv, METRICS_FIELDS, runListCsv } from './csv';

const get = useLabStore.getState;

/** Parses CSV text back with the same library, header row first. */
function parse(text: string): string[][] {
  const r = Papa.parse<string[]>(text, { skipEmptyLines: true });
  expect(r.errors, JSON.stringify(r.errors)).toEqual([]);
  return r.data;
}

/** A cell as the number it stands for; '' as null. */
const cell = (s: string | undefined): number | null =>
  s === undefined || s === '' ? null : Number(s);

/** A live run in the store, driven by a fake trainer's messages (as the worker posts them). */
function liveRun(): FakeTrainer {
  const t = new FakeTrainer();
  configureMessageCommit(0);
  bootLab('?preset=mlp-circles', () => t);
  t.emit(readyMsg(t.inits[0]!));
  return t;
}

beforeEach(() => resetStore());

describe('metrics CSV', () => {
  it('has one row per step whose numbers parse back to the store’s, validation at its steps', () => {
    const t = liveRun();
    t.emit({ type: 'validation', step: 0, perplexity: 0.4999 } as FromWorker);
    // Losses that are not short decimals in float32, FLOPs that are not integers in float64.
    const first = metricsMsg(1, [0.6931471805599453, 0.6123, Math.PI / 5], 1234.5678, 2000.25);
    t.emit({ ...first, medianStepMs: null } as FromWorker);
    t.emit({ type: 'validation', step: 3, perplexity: 0.61803398875 } as FromWorker);
    const second = metricsMsg(4, [0.5, NaN], 1234.5678, 2000.25);
    t.emit({ ...second, medianStepMs: 1.0625 } as FromWorker);
    const s = get();
    expect(s.metrics.length).toBe(5);
    const rows = parse(metricsCsv(s));
    // The fake trainer's ready message reports perplexity.
    expect(rows[0]).toEqual([...METRICS_FIELDS, 'validation_perplexity']);
    const body = rows.slice(1);
    // Step 0 (validation only) and steps 1–5.
    expect(body.map((r) => cell(r[0]))).toEqual([0, 1, 2, 3, 4, 5]);
    expect(body[0]!.slice(1, 5)).toEqual(['', '', '', '']);
    expect(cell(body[0]![5])).toBe(0.4999);
    for (let i = 0; i < s.metrics.length; i++) {
      const r = body[i + 1]!;
      const loss = s.metrics.loss[i]!;
      if (Number.isNaN(loss)) expect(r[1]).toBe('NaN');
      else expect(cell(r[1])).toBe(loss);
      expect(cell(r[2])).toBe(s.metrics.flops[i]);
      expect(cell(r[3])).toBe(s.metrics.vanillaFlops[i]);
    }
    // ms: unknown for the first push's steps, the second push's median for its own.
    expect(body.slice(1).map((r) => cell(r[4]))).toEqual([null, null, null, 1.0625, 1.0625]);
    expect(body.map((r) => cell(r[5]))).toEqual([0.4999, null, null, 0.61803398875, null, null]);
  });
});

describe('λmax CSV', () => {
  it('has one row per evaluation × module, quoted ids and numbers parsing back exactly', () => {
    const t = new FakeTrainer();
    configureMessageCommit(0);
    bootLab('', () => t);
    // Ids with a comma, a quote and a leading '=' (quoted, formula-escaped by papaparse).
    const modules = [
      { ...MODULES[0]!, id: 'L0,"H0"' },
      { ...MODULES[1]!, id: '=L0.H1' },
    ];
    t.emit(readyMsg(t.inits[0]!, modules));
    t.emit(evaluationMsg(0, [0.1 + 0.2, 1e-30], [true, false]));
    const withErr = evaluationMsg(2, [123456.789, 2 / 3], [false, true]);
    if (withErr.type === 'evaluation') withErr.evaluation.stdErr = Float64Array.from([0.5, 1e-7]);
    t.emit(withErr);
    const s = get();
    const rows = parse(lambdaCsv(s));
    expect(rows[0]).toEqual([...LAMBDA_FIELDS]);
    const body = rows.slice(1);
    expect(body).toHaveLength(4);
    expect(body.map((r) => r[1])).toEqual(['L0,"H0"', "'=L0.H1", 'L0,"H0"', "'=L0.H1"]);
    s.evaluations.forEach((e, k) => {
      modules.forEach((m, i) => {
        const r = body[k * 2 + i]!;
        expect(cell(r[0])).toBe(e.step);
        expect(r[2]).toBe(m.kind);
        expect(cell(r[3])).toBe(e.lambdaMax[i]);
        expect(cell(r[4])).toBe(e.stdErr ? e.stdErr[i] : null);
        expect(cell(r[5])).toBe(e.effRank[i]);
        expect(cell(r[6])).toBe(e.updating[i]);
        expect(r[7]).toBe(e.reasons[i]);
        expect(r[8]).toBe('');
      });
    });
  });
});

describe('run list CSV', () => {
  it('writes each run’s summary and its config as JSON that parses back to the config', () => {
    const t = liveRun();
    t.emit(metricsMsg(1, [0.7, 0.6]));
    t.emit({ type: 'validation', step: 2, perplexity: 0.75 } as FromWorker);
    applySettings({ policy: 'vanilla', seed: 7 });
    t.emit(readyMsg(t.inits[1]!));
    const s = get();
    expect(s.runs).toHaveLength(1);
    const kept = s.runs[0]!;
    const rows = parse(
      runListCsv([
        { ...runSummary(s), shown: 'current', source: 'session', origin: null, diff: [] },
        {
          ...kept,
          shown: 'kept',
          origin: 'my "run", 1.json',
          diff: runDiff(kept.config, s.runConfig),
        },
      ]),
    );
    expect(rows).toHaveLength(3);
    const header = rows[0]!;
    const at = (r: string[], f: string) => r[header.indexOf(f)];
    const old = rows[2]!;
    expect(at(old, 'origin')).toBe('my "run", 1.json');
    expect(at(old, 'policy')).toBe('mat');
    expect(cell(at(old, 'steps'))).toBe(2);
    expect(cell(at(old, 'final_metric'))).toBe(0.75);
    expect(cell(at(old, 'total_flops'))).toBe(kept.totalFlops);
    expect(at(old, 'differs_from_current')).toBe('policy=mat; seed=1');
    expect(JSON.parse(at(old, 'config')!)).toEqual({ ...presetConfig('mlp-circles')!, events: [] });
    expect(at(rows[1]!, 'policy')).toBe('vanilla');
    expect(at(rows[1]!, 'final_metric')).toBe('');
  });
});
