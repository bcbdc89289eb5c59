import { beforeEach, describe, expect, it } from 'vitest';
import type { ModelView } from '../core/families/types';
import { RunFileError, loadModelView, saveModelView, validateRunFile } from '../core/runfile';
import { importGaps } from '../ui/ImportBanner';
import { bootLab, importRunText } from './actions';
import { resetStore, useLabStore } from './store';
import { FakeTrainer, mlpRunFile } from './testing';

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
    const run = mlpRunFile({
      modelView: { step: 2, view: saveModelView(BOUNDARY) },
      medianStepMs: 12.5,
    });
    expect(importRunText(JSON.stringify(run), 'run.json')).toBe(true);
    expect(get().view).toBe('imported');
    expect(get().modelView).toEqual({ step: 2, view: BOUNDARY });
    expect(get().medianStepMs).toBe(12.5);
    expect(importGaps('mlp', true, 12.5)).toEqual([]);

    expect(importRunText(JSON.stringify(mlpRunFile()), 'old.json')).toBe(true);
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
    expect(() => validateRunFile(mlpRunFile({ modelView: { step: 2, view: bad } }))).toThrow(
      RunFileError,
    );
  });
});
