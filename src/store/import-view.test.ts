import { beforeEach, describe, expect, it } from 'vitest';
import type { ModelView } from '../core/families/types';
import { presetConfig } from '../core/presets';
import type { RunFile } from '../core/runfile';
import { RunFileError, loadModelView, saveModelView, validateRunFile } from '../core/runfile';
import { importGaps } from '../ui/ImportBanner';
import { bootLab, importRunText } from './actions';
import { resetStore, useLabStore } from './store';
import { FakeTrainer } from './testing';

const get = useLabStore.getState;
beforeEach(() => resetStore());

const BOUNDARY: ModelView = {
  kind: 'boundary',
  resolution: 2,
  extent: 1.5,
  classes: 2,
  probs: Float32Array.from([0.25, 0.75, 0.5, 0.5, 1, 0, 0.125, 0.875]),
  train: { x: Float32Array.from([0.5, -0.5, 1, 1]), y: Int32Array.from([0, 1]) },
  test: { x: Float32Array.from([0, 0.25]), y: Int32Array.from([1]) },
};

/** A small MLP run file (version 1: no evaluation at export needed). */
function mlpRun(extra: Partial<RunFile> = {}): RunFile {
  return {
    format: 'mat-lab-run',
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    // One neuron on four features: the module and weights the import checks expect.
    config: { ...presetConfig('mlp-circles')!, hidden: '1' },
    backend: { backend: 'webgpu', adapter: 'test', isFallbackAdapter: false },
    modules: [{ id: 'L0.N0', kind: 'neuron', layer: 0, index: 0, params: 5 }],
    events: [],
    metrics: { step: [1, 2], loss: [0.7, 0.6], flops: [10, 20], vanillaFlops: [5, 10] },
    validation: { step: [2], perplexity: [0.8] },
    metric: { name: 'accuracy', higherIsBetter: true },
    flops: { perVanillaStep: 5, perEvaluation: 3 },
    probeOutputs: { k: 2, projections: 2, exact: true },
    evaluations: [
      {
        step: 0,
        lambdaMax: [1],
        spectra: [[1, 0.5]],
        effRank: [1.8],
        updating: [true],
        reasons: ['warmup'],
      },
    ],
    probe: {
      inputs: [0],
      positions: [0],
      targets: [0],
      n: 2,
      seqLen: 1,
      masked: 1,
      projections: [],
      numProjections: 1,
      weight: 1,
      kernel: 'trace',
    },
    weights: [{ name: 'L0.N0', shape: [5], values: [0, 0, 0, 0, 0] }],
    step: 2,
    ...extra,
  };
}

describe('an imported run keeps its model view and step time', () => {
  it('saves a view as JSON and loads it back equal', () => {
    const saved = JSON.parse(JSON.stringify(saveModelView(BOUNDARY))) as ReturnType<
      typeof saveModelView
    >;
    expect(loadModelView(saved)).toEqual(BOUNDARY);
    const confusion: ModelView = {
      kind: 'confusion',
      classes: ['a', 'b'],
      matrix: Int32Array.from([3, 1, 0, 4]),
    };
    expect(loadModelView(saveModelView(confusion))).toEqual(confusion);
  });

  it('shows the file’s view and ms/step; says so when a file has neither', () => {
    bootLab('?preset=mlp-circles', () => new FakeTrainer());
    const run = mlpRun({
      modelView: { step: 2, view: saveModelView(BOUNDARY) },
      medianStepMs: 12.5,
    });
    expect(importRunText(JSON.stringify(run), 'run.json')).toBe(true);
    expect(get().view).toBe('imported');
    expect(get().modelView).toEqual({ step: 2, view: BOUNDARY });
    expect(get().medianStepMs).toBe(12.5);
    expect(importGaps('mlp', true, 12.5)).toEqual([]);

    expect(importRunText(JSON.stringify(mlpRun()), 'old.json')).toBe(true);
    expect(get().modelView).toBeNull();
    expect(get().medianStepMs).toBeNull();
    expect(importGaps(get().runConfig.model, false, null)).toEqual([
      'This file does not record the decision boundary, so it is not shown.',
      'This file does not record the time per step.',
    ]);
    // A model without a view (BERT) has nothing to miss.
    expect(importGaps('bert', false, 3)).toEqual([]);
  });

  it('rejects a view whose arrays do not have the sizes it declares', () => {
    const bad = saveModelView(BOUNDARY);
    if (bad.kind !== 'boundary') throw new Error('boundary expected');
    bad.probs.pop();
    expect(() => validateRunFile(mlpRun({ modelView: { step: 2, view: bad } }))).toThrow(
      RunFileError,
    );
  });
});
