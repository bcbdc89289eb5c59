import * as tf from '@tensorflow/tfjs';
import { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendChoice } from './config';
import { guardWebGPUMatMul } from './webgpu-matmul';

/** What the trainer actually runs on; shown on the backend badge, never silently different. */
export interface BackendInfo {
  /** tf.getBackend() after initialisation. */
  backend: 'webgpu' | 'webgl' | 'wasm' | 'cpu';
  /** What the config asked for. */
  requested: BackendChoice;
  /** Adapter vendor · architecture (or description), '' when not WebGPU. */
  adapter: string;
  isFallbackAdapter: boolean;
  /** Set when the requested backend could not be used; a sentence for the user. */
  fallbackReason: string | null;
  /**
   * Whether the lab's fused WebGPU kernels run (core/fused: WebGPU, unless the page's `fused=0`
   * turned them off); absent where nobody said (Node tools, files from before them).
   */
  fused?: boolean | undefined;
}

/** The environment's hooks: Web Worker / page or Node (Dawn). */
export interface BackendEnv {
  /** `navigator.gpu` where it exists (browser) or Dawn's `create([])` (Node). */
  gpu?: GPU | undefined;
  /** Where the WASM binaries are served (browser bundles); Node finds them itself. */
  wasmPaths?: Record<string, string> | undefined;
  /**
   * Whether the WASM backend may use threads. Off in the browser bundle: TF.js builds its
   * thread workers from function source text, which minification breaks (tfjs#4107).
   */
  wasmThreads?: boolean | undefined;
  /** Called once if the WebGPU device is lost after initialisation. */
  onDeviceLost?: ((message: string) => void) | undefined;
  /** Wraps requestAdapter options, e.g. `{ featureLevel: 'compatibility' }` for GLES Dawn. */
  adapterOptions?: GPURequestAdapterOptions | undefined;
}

export class NoWebGPUError extends Error {
  override name = 'NoWebGPUError';
}
export class BackendInitError extends Error {
  override name = 'BackendInitError';
}

interface AdapterInfoLike {
  vendor?: string;
  architecture?: string;
  description?: string;
  isFallbackAdapter?: boolean;
}

function describeAdapter(info: AdapterInfoLike): string {
  const parts = [info.vendor, info.architecture].filter((s): s is string => !!s);
  if (parts.length === 0 && info.description) parts.push(info.description);
  return parts.join(' · ') || 'unknown adapter';
}

async function initWebGPU(env: BackendEnv): Promise<{ adapter: string; isFallback: boolean }> {
  const gpu = env.gpu;
  if (!gpu) throw new NoWebGPUError('this browser exposes no WebGPU (navigator.gpu is missing)');
  const adapter = await gpu.requestAdapter({
    powerPreference: 'high-performance',
    ...(env.adapterOptions ?? {}),
  });
  if (!adapter)
    throw new NoWebGPUError('no WebGPU adapter is available (requestAdapter returned null)');
  const a = adapter as GPUAdapter & { isFallbackAdapter?: boolean; info?: GPUAdapterInfo };
  const info = (a.info ?? {}) as AdapterInfoLike;
  const isFallback = Boolean(info.isFallbackAdapter ?? a.isFallbackAdapter ?? false);
  const requiredFeatures: GPUFeatureName[] = [];
  if (adapter.features.has('timestamp-query')) requiredFeatures.push('timestamp-query');
  const l = adapter.limits;
  const device = await adapter.requestDevice({
    requiredFeatures,
    requiredLimits: {
      maxComputeWorkgroupStorageSize: l.maxComputeWorkgroupStorageSize,
      maxComputeWorkgroupsPerDimension: l.maxComputeWorkgroupsPerDimension,
      maxStorageBufferBindingSize: l.maxStorageBufferBindingSize,
      maxBufferSize: l.maxBufferSize,
      maxComputeWorkgroupSizeX: l.maxComputeWorkgroupSizeX,
      maxComputeInvocationsPerWorkgroup: l.maxComputeInvocationsPerWorkgroup,
      // As many buffers a program as the adapter binds: TF.js's Concat takes that many inputs
      // less one per dispatch (the default 8 makes Adam's 43 gradients 8 dispatches).
      maxStorageBuffersPerShaderStage: l.maxStorageBuffersPerShaderStage,
    },
  });
  // We never destroy the device ourselves, so any loss (driver reset, GPU process crash, a
  // destroy by the browser) ends the run.
  void device.lost.then((lost) => env.onDeviceLost?.(lost.message || `reason: ${lost.reason}`));
  // TF.js 4.22's split-K matmul gets A·Bᵀ wrong (webgpu-matmul.ts): route around it first.
  guardWebGPUMatMul();
  if (tf.findBackendFactory('webgpu')) tf.removeBackend('webgpu');
  tf.registerBackend('webgpu', () => new WebGPUBackend(device, a.info), 10);
  if (!(await tf.setBackend('webgpu')) || tf.getBackend() !== 'webgpu') {
    throw new BackendInitError('the WebGPU backend failed to initialise');
  }
  return { adapter: describeAdapter(info), isFallback };
}

async function setSimpleBackend(name: 'wasm' | 'webgl' | 'cpu', env: BackendEnv): Promise<void> {
  if (name === 'wasm') {
    if (env.wasmPaths) setWasmPaths(env.wasmPaths);
    if (env.wasmThreads === false) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  }
  const ok = await tf.setBackend(name);
  if (!ok || tf.getBackend() !== name)
    throw new BackendInitError(`the ${name} backend failed to initialise`);
}

/**
 * Sets the TF.js backend for a run. `auto` prefers WebGPU and falls back to WASM with a stated
 * reason; an explicit choice that fails is an error (tests force `webgpu` to catch the silent
 * WebGL fallback TF.js would otherwise make).
 */
export async function initBackend(choice: BackendChoice, env: BackendEnv): Promise<BackendInfo> {
  const base = { requested: choice, adapter: '', isFallbackAdapter: false, fallbackReason: null };
  if (choice === 'webgpu' || choice === 'auto') {
    try {
      const { adapter, isFallback } = await initWebGPU(env);
      return { ...base, backend: 'webgpu', adapter, isFallbackAdapter: isFallback };
    } catch (e) {
      if (choice === 'webgpu') throw e;
      await setSimpleBackend('wasm', env);
      const why = e instanceof Error ? e.message : String(e);
      return { ...base, backend: 'wasm', fallbackReason: why };
    }
  }
  await setSimpleBackend(choice, env);
  return { ...base, backend: choice };
}

/**
 * Shader programs the WebGPU backend has compiled so far (its pipeline cache, one entry per
 * program and shape class), or null on other backends. TF.js keeps the cache private: read by
 * name, and null if a later version moves it.
 */
export function compiledKernels(): number | null {
  if (tf.getBackend() !== 'webgpu') return null;
  const cache = (tf.backend() as unknown as { pipelineCache?: unknown }).pipelineCache;
  return cache && typeof cache === 'object' ? Object.keys(cache).length : null;
}
