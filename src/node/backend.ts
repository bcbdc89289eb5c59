/**
 * TF.js backends in Node for the CLI tools (bench, reproduce): WASM (registered by importing
 * the package), cpu, or WebGPU through Dawn (the npm `webgpu` package; driver variables in
 * /work/shared/docs/WEBGPU-TESTING.md). Dawn keeps Node alive: callers end with process.exit().
 */
import '@tensorflow/tfjs-backend-wasm';
import type { BackendInfo } from '../core/backend';
import { initBackend } from '../core/backend';

export const NODE_BACKENDS = ['wasm', 'cpu', 'webgpu'] as const;
export type NodeBackend = (typeof NODE_BACKENDS)[number];

export function isNodeBackend(s: string): s is NodeBackend {
  return (NODE_BACKENDS as readonly string[]).includes(s);
}

/**
 * Sets the backend and returns what it is, in words for reports ("wasm", "webgpu · nvidia ·
 * ampere", "… (software)" for a fallback adapter). `gles`: Dawn on OpenGL ES (llvmpipe).
 */
export async function setupNodeBackend(
  name: NodeBackend,
  opts: { gles?: boolean } = {},
): Promise<{ info: BackendInfo; description: string }> {
  if (name === 'webgpu') {
    const { create, globals } = await import('webgpu');
    Object.assign(globalThis, globals);
    const gpu = create(opts.gles ? ['backend=opengles'] : []);
    // The WebGPU backend checks navigator.gpu when it is constructed.
    Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
    const info = await initBackend('webgpu', {
      gpu,
      adapterOptions: opts.gles
        ? ({ featureLevel: 'compatibility' } as GPURequestAdapterOptions)
        : undefined,
    });
    return {
      info,
      description: `webgpu · ${info.adapter}${info.isFallbackAdapter ? ' (software)' : ''}`,
    };
  }
  const info = await initBackend(name, {});
  return { info, description: info.backend };
}
