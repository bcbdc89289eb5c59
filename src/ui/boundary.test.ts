import { describe, expect, it } from 'vitest';
import { boundaryPixels, toCanvas } from './boundary';
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
