import { describe, expect, it } from 'vitest';
import type { BoundaryPoints } from './boundary';
import { boundaryPixels, samePoints, toCanvas } from './boundary';
import { modelPhrase } from './model-words';

describe('boundaryPixels', () => {
  it('is white where the model is undecided and coloured where it is sure', () => {
    const px = boundaryPixels(Float32Array.of(0.5, 0.5, 1, 0), 2, 2);
    expect(Array.from(px.slice(0, 4))).toEqual([255, 255, 255, 255]);
    expect(Array.from(px.slice(4, 8))).not.toEqual([255, 255, 255, 255]);
    expect(px.length).toBe(16);
  });
});

describe('toCanvas', () => {
  it('puts +y at the top', () => {
    expect(toCanvas(-1, 1, 1, 100)).toEqual([0, 0]);
    expect(toCanvas(1, -1, 1, 100)).toEqual([100, 100]);
    expect(toCanvas(0, 0, 2, 100)).toEqual([50, 50]);
  });
});

describe('modelPhrase', () => {
  it('uses the right article', () => {
    expect(modelPhrase('mlp')).toBe('an MLP on 2D data');
    expect(modelPhrase('bert')).toBe('a tiny BERT (masked LM)');
  });
});

describe('samePoints', () => {
  const view = (): BoundaryPoints => ({
    train: { x: Float32Array.of(0.5, -1, 2, 0.25), y: Int32Array.of(0, 1) },
    test: { x: Float32Array.of(1, 1), y: Int32Array.of(1) },
    extent: 3,
  });
  it('keeps the markers for a new view of the same points (new arrays, same values)', () => {
    expect(samePoints(view(), view())).toBe(true);
  });
  it('redraws them when a coordinate, a class, the count or the extent differs', () => {
    const moved = view();
    moved.train.x = Float32Array.of(0.5, -1, 2, 0.5);
    const relabelled = view();
    relabelled.test.y = Int32Array.of(0);
    const fewer = view();
    fewer.train = { x: Float32Array.of(0.5, -1), y: Int32Array.of(0) };
    const wider = { ...view(), extent: 4 };
    for (const other of [moved, relabelled, fewer, wider])
      expect(samePoints(view(), other)).toBe(false);
  });
  it('tells a NaN coordinate from a number and matches NaN with NaN', () => {
    const a = view();
    a.train.x = Float32Array.of(NaN, -1, 2, 0.25);
    expect(samePoints(a, view())).toBe(false);
    const b = view();
    b.train.x = Float32Array.of(NaN, -1, 2, 0.25);
    expect(samePoints(a, b)).toBe(true);
  });
});
