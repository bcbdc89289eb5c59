import { describe, expect, it } from 'vitest';
import { backendText } from './backend-text';

const base = { requested: 'auto', adapter: '', isFallbackAdapter: false, fallbackReason: null };

describe('backendText', () => {
  it('names WebGPU with its adapter', () => {
    expect(backendText({ ...base, backend: 'webgpu', adapter: 'nvidia · hopper' })).toEqual({
      text: 'WebGPU · nvidia · hopper',
      tone: 'ok',
    });
  });
  it('never hides a software adapter or a fallback', () => {
    expect(
      backendText({
        ...base,
        backend: 'webgpu',
        adapter: 'google · swiftshader',
        isFallbackAdapter: true,
      }).text,
    ).toBe('WebGPU · google · swiftshader (software)');
    const f = backendText({
      ...base,
      backend: 'wasm',
      fallbackReason: 'no WebGPU adapter is available',
    });
    expect(f).toEqual({ text: 'WASM fallback: no WebGPU adapter is available', tone: 'warn' });
  });
  it('says whether the fused kernels run, when the trainer said', () => {
    const gpu = { ...base, backend: 'webgpu', adapter: 'nvidia · hopper' };
    expect(backendText({ ...gpu, fused: true }).text).toBe(
      'WebGPU · nvidia · hopper · fused kernels',
    );
    expect(backendText({ ...gpu, fused: false }).text).toBe(
      'WebGPU · nvidia · hopper · composed ops (fused=0)',
    );
    expect(backendText({ ...base, backend: 'wasm', fused: false }).text).toBe('WASM');
  });
  it('says when a backend was asked for', () => {
    expect(backendText({ ...base, backend: 'wasm', requested: 'wasm' }).text).toBe(
      'WASM (requested)',
    );
    expect(backendText(null).tone).toBe('pending');
  });
});
