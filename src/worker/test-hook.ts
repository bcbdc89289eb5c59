/// <reference lib="webworker" />
/**
 * `self.__labWorker` in the training worker: what end-to-end tests do to the worker itself, in dev
 * and test builds only (or with VITE_LAB_HOOK=1), like the page's `window.__lab`.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';

export interface WorkerLabHook {
  /**
   * Destroys the WebGPU device the run trains on, as a driver reset or a GPU-process crash
   * would lose it; false (nothing done) when the run is not on WebGPU.
   */
  destroyDevice(): boolean;
}

declare global {
  interface WorkerGlobalScope {
    __labWorker?: WorkerLabHook;
  }
}

export function installWorkerLabHook(scope: DedicatedWorkerGlobalScope): void {
  const env = import.meta.env;
  if (!(env.DEV || env.MODE === 'test' || env.VITE_LAB_HOOK === '1')) return;
  scope.__labWorker = {
    destroyDevice() {
      if (tf.getBackend() !== 'webgpu') return false;
      (tf.backend() as WebGPUBackend).device.destroy();
      return true;
    },
  };
}
