import { describe, expect, it } from 'vitest';
import { busyText } from './busy-text';

describe('the busy indicator words', () => {
  it('says the first step on WebGPU compiles shaders, with the count so far', () => {
    expect(busyText({ step: 0, ms: 12_400, kernels: 43, newKernels: 43 })).toBe(
      'compiling shaders: the first step on WebGPU compiles every kernel it uses — 43 compiled so far, 12 s',
    );
  });
  it('a later step: new kernels, or just the time it has run', () => {
    expect(busyText({ step: 9, ms: 2100, kernels: 60, newKernels: 3 })).toBe(
      'step 10: compiling 3 new kernels, 2 s',
    );
    expect(busyText({ step: 1234, ms: 83_000, kernels: null, newKernels: 0 })).toBe(
      'step 1,235 running for 83 s',
    );
  });
});
