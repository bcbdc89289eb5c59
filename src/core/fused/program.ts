/**
 * The lab's own WebGPU programs (docs/method.md "Fused kernels"): each is a TF.js kernel
 * registered for the `webgpu` backend only, with its gradient registered too, so the engine's
 * tape, `tf.profile` and tidy/dispose treat it like any built-in op. Model code calls the ops
 * in this folder; each runs its fused kernel when `fusedActive()` and the composed TF.js ops
 * otherwise (WASM, cpu, or the switch off), with the same results within the tolerance each
 * op's test states.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend, WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';

/** Whether model code may use the fused kernels: `auto` (on WebGPU) or `off` (composed ops). */
export type FusedMode = 'auto' | 'off';

let mode: FusedMode = 'auto';

/** Sets the switch for every later op (the worker sets it from the page, the bench per run). */
export function setFused(m: FusedMode): void {
  mode = m;
}

export function fusedMode(): FusedMode {
  return mode;
}

/** True when the current backend is WebGPU and the switch is not off. */
export function fusedActive(): boolean {
  return mode !== 'off' && tf.getBackend() === 'webgpu';
}

/** A WebGPU program's extra uniforms as the backend takes them (`{ type, data }` pairs). */
export type Uniforms = { type: 'int32' | 'float32'; data: number[] }[];

/**
 * Runs `program` on `inputs` with the WebGPU backend of a kernel call; the output is a new
 * tensor info the engine owns (as every kernel's).
 */
export function runProgram(
  backend: object,
  program: WebGPUProgram,
  inputs: tf.TensorInfo[],
  uniforms: Uniforms = [],
  dtype: tf.DataType = 'float32',
): tf.TensorInfo {
  return (backend as unknown as WebGPUBackend).runWebGPUProgram(program, inputs, dtype, uniforms);
}

/**
 * Registers `kernelFunc` as kernel `name` on the `webgpu` backend, once (later calls are no-ops:
 * modules may be evaluated twice under test runners).
 */
export function registerWebGPUKernel(name: string, kernelFunc: tf.KernelFunc): void {
  if (tf.getKernel(name, 'webgpu')) return;
  tf.registerKernel({ kernelName: name, backendName: 'webgpu', kernelFunc });
}

/** Registers `config` as the gradient of its kernel, once. */
export function registerFusedGradient(config: tf.GradConfig): void {
  if (tf.getGradient(config.kernelName)) return;
  tf.registerGradient(config);
}

/** Runs registered kernel `name` through the engine (recorded on the tape and by tf.profile). */
export function runFused<T extends tf.Tensor>(
  name: string,
  inputs: tf.NamedTensorMap,
  attrs: tf.NamedAttrMap = {},
): T {
  return tf.engine().runKernel(name, inputs, attrs) as T;
}

/**
 * Counts the programs the WebGPU backend dispatches while `fn` runs (every `runWebGPUProgram`,
 * ours and TF.js's: the GPU's real dispatches, which `tf.profile`'s kernel list overstates by
 * the kernels that only alias a buffer, Reshape, Identity, a same-type Cast). Null off WebGPU.
 */
export async function countDispatches<T>(
  fn: () => Promise<T>,
): Promise<{ result: T; dispatches: number | null }> {
  if (tf.getBackend() !== 'webgpu') return { result: await fn(), dispatches: null };
  const backend = tf.backend() as unknown as WebGPUBackend;
  const original = backend.runWebGPUProgram;
  let count = 0;
  backend.runWebGPUProgram = function (this: WebGPUBackend, ...args) {
    count++;
    return original.apply(this, args);
  } as typeof original;
  try {
    const result = await fn();
    return { result, dispatches: count };
  } finally {
    backend.runWebGPUProgram = original;
  }
}
