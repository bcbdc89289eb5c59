import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../core/config';
import { presetConfig } from '../core/presets';
import { fakeReport } from '../report/testing';
import {
  applyPreset,
  applySettings,
  bootLab,
  configureMessageCommit,
  importRunText,
} from './actions';
import {
  decimateCurve,
  entriesFromReport,
  keepReportRuns,
  LIVE_KEY,
  MAX_CURVE_POINTS,
  MAX_RUNS,
  presetOf,
  runDiff,
  runName,
  setOverlaid,
  withRuns,
} from './run-list';
import type { RunEntry } from './runs-slice';
import { resetStore, useLabStore } from './store';
import { FakeTrainer, metricsMsg, mlpRunFile, readyMsg } from './testing';

const get = useLabStore.getState;

beforeEach(() => resetStore());

function boot(search: string): FakeTrainer {
  const t = new FakeTrainer();
  configureMessageCommit(0);
  bootLab(search, () => t);
  t.emit(readyMsg(t.inits[0]!));
  return t;
}

/** A kept run with `seq` (only what the bound looks at matters). */
function entry(seq: number): RunEntry {
  return {
    id: `run-${seq}`,
    seq,
    source: 'session',
    name: `r${seq}`,
    origin: null,
    preset: null,
    presetChanged: [],
    config: DEFAULT_CONFIG,
    metric: { name: 'perplexity', higherIsBetter: false },
    steps: 1,
    finalMetric: null,
    finalStep: null,
    totalFlops: null,
    vanillaFlops: null,
    loss: null,
    validation: { step: [], flops: [], value: [] },
    keptAt: 0,
  };
}

describe('the config diff', () => {
  it('names the fields that differ, with both values, in schema order', () => {
    const current = presetConfig('mlp-circles')!;
    const other = { ...current, seed: 9, policy: 'vanilla' as const, lr: 0.1 };
    expect(runDiff(other, current)).toEqual([
      { field: 'lr', value: '0.1', current: String(current.lr) },
      { field: 'policy', value: 'vanilla', current: 'mat' },
      { field: 'seed', value: '9', current: '1' },
    ]);
    expect(runDiff(current, current)).toEqual([]);
  });

  it('leaves out run control and fields only other families read', () => {
    const current = presetConfig('mlp-circles')!;
    const other = { ...current, backend: 'cpu' as const, stopAt: 50, autoplay: true, layers: 7 };
    expect(runDiff(other, current)).toEqual([]);
    const bert = presetConfig('bert-austen')!;
    expect(runDiff(bert, current).map((d) => d.field)).toContain('model');
  });

  it('names a run by its nearest preset, starred when it differs in more than policy, seed, α, β', () => {
    const c = presetConfig('mlp-circles')!;
    const same = { ...c, policy: 'random' as const, seed: 3, alpha: 0.5 };
    expect(presetOf(same)).toEqual({ id: 'mlp-circles', changed: [] });
    expect(runName(same, presetOf(same))).toBe('mlp-circles · random (matched) · seed 3');
    const wider = { ...c, hidden: '9', K: 3 };
    expect(presetOf(wider)).toEqual({ id: 'mlp-circles', changed: ['hidden', 'K'] });
    expect(runName(wider, presetOf(wider))).toBe('mlp-circles* · MAT · seed 1');
    expect(presetOf(presetConfig('mlp-spiral')!)?.id).toBe('mlp-spiral');
  });
});

describe('the bound', () => {
  it('keeps at most MAX_RUNS runs, dropping the oldest not drawn first', () => {
    const runs = Array.from({ length: MAX_RUNS }, (_, i) => entry(i + 1));
    const out = withRuns(runs, [entry(MAX_RUNS + 1), entry(MAX_RUNS + 2)], ['run-1', 'run-3']);
    expect(out.runs).toHaveLength(MAX_RUNS);
    expect(out.runs.map((r) => r.id)).not.toContain('run-2');
    expect(out.runs.map((r) => r.id)).not.toContain('run-4');
    expect(out.runs.map((r) => r.id).slice(0, 2)).toEqual(['run-1', 'run-3']);
    expect(out.overlaid).toEqual(['run-1', 'run-3']);
  });

  it('drops the oldest drawn ones when every run is drawn', () => {
    const runs = Array.from({ length: 3 }, (_, i) => entry(i + 1));
    const out = withRuns(runs, [entry(4)], ['run-1', 'run-2', 'run-3', LIVE_KEY], 3);
    expect(out.runs.map((r) => r.id)).toEqual(['run-2', 'run-3', 'run-4']);
    expect(out.overlaid).toEqual(['run-2', 'run-3', LIVE_KEY]);
  });

  it('cuts a curve to MAX_CURVE_POINTS, keeping the last point', () => {
    const n = 10_001;
    const steps = Array.from({ length: n }, (_, i) => i + 1);
    const c = decimateCurve({ step: steps, flops: steps.map((s) => s * 3), value: steps });
    expect(c.step.length).toBeLessThanOrEqual(MAX_CURVE_POINTS);
    expect(c.step.length).toBeGreaterThan(MAX_CURVE_POINTS / 2);
    expect(c.step[c.step.length - 1]).toBe(n);
    expect(c.flops[c.flops.length - 1]).toBe(3 * n);
  });

  it('keeps a long live run’s curves bounded when it is replaced', () => {
    const t = boot('?preset=mlp-circles');
    const losses = Array.from({ length: 5000 }, (_, i) => 1 / (i + 1));
    t.emit(metricsMsg(1, losses));
    applySettings({ policy: 'vanilla' });
    const kept = get().runs[0]!;
    expect(kept.steps).toBe(5000);
    expect(kept.loss!.step.length).toBeLessThanOrEqual(MAX_CURVE_POINTS);
    expect(kept.loss!.value[kept.loss!.value.length - 1]).toBe(Math.fround(1 / 5000));
    expect(kept.totalFlops).toBe(5000 * 80);
  });
});

describe('what joins the list', () => {
  it('a replaced live run (not one that never trained), an imported file once, a report’s runs', () => {
    const t = boot('?preset=mlp-circles');
    // Restarted before any step: nothing to keep.
    applySettings({ seed: 2 });
    t.emit(readyMsg(t.inits[1]!));
    expect(get().runs).toEqual([]);
    t.emit(metricsMsg(1, [0.7, 0.65, 0.6]));
    applyPreset('mlp-spiral');
    expect(get().runs.map((r) => [r.source, r.name, r.steps])).toEqual([
      ['session', 'mlp-circles · MAT · seed 2', 3],
    ]);
    expect(importRunText(JSON.stringify(mlpRunFile()), 'a "b", c.json')).toBe(true);
    expect(importRunText(JSON.stringify(mlpRunFile()), 'a "b", c.json')).toBe(true);
    const runs = get().runs;
    expect(runs.map((r) => [r.source, r.origin])).toEqual([
      ['session', null],
      ['file', 'a "b", c.json'],
    ]);
    expect(runs[1]!.finalMetric).toBe(0.8);
    expect(runs[1]!.name).toBe('mlp-circles* · MAT · seed 1');
    keepReportRuns(fakeReport(), 'report.json');
    keepReportRuns(fakeReport(), 'report.json');
    const report = get().runs.filter((r) => r.source === 'report');
    expect(report.map((r) => r.name)).toEqual([
      'mlp-spiral · vanilla · seed 1',
      'mlp-spiral · MAT · seed 1',
    ]);
    expect(report[1]!.validation.flops).toEqual([0, 60, 120]);
    expect(report[1]!.loss).toBeNull();
  });

  it('forgets an overlay with its run; report entries take consecutive ids', () => {
    const entries = entriesFromReport(fakeReport(), 'r.json', 5);
    expect(entries.map((e) => e.id)).toEqual(['run-5', 'run-6']);
    keepReportRuns(fakeReport(), 'r.json');
    const id = get().runs[0]!.id;
    setOverlaid(id, true);
    setOverlaid(id, true);
    expect(get().overlaid).toEqual([id]);
    setOverlaid(id, false);
    expect(get().overlaid).toEqual([]);
  });
});
