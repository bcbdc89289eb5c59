import { describe, expect, it } from 'vitest';
import { estimatorNote } from './estimator-note';

describe('estimatorNote', () => {
  const config = { kernel: 'trace', probe: 16, R: 4 } as const;
  it('names the projections when there is a standard error', () => {
    expect(estimatorNote(new Float64Array([0.1]), config)).toBe(
      'standard error over R = 4 random projections (jackknife)',
    );
  });
  it('says exact for the samples the kernel used otherwise', () => {
    expect(estimatorNote(null, config)).toBe('exact for the 16-sample probe');
    expect(estimatorNote(null, { ...config, kernel: 'step', probe: 8 })).toMatch(
      /^exact for the 8 samples of this step's batch/,
    );
  });
});
