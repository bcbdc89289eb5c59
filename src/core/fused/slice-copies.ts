/**
 * Consecutive pieces of a flat vector as tensors of their own: the new weights of each variable
 * out of Adam's flat [w|m|v] state (core/optim/adam.ts).
 *
 * A TF.js program has one output and a tensor cannot alias part of another's buffer, so on
 * WebGPU each piece would be a Slice program: one dispatch per variable per step (43 for the
 * default BERT, a quarter of its fused step's dispatches). Here, on WebGPU, one kernel records a
 * buffer-to-buffer copy per piece into the backend's command encoder instead: no shader, bind
 * group or uniform buffer, the copies in a row between two compute passes. Elsewhere it is a
 * `tf.slice` per piece, as before.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedActive, registerWebGPUKernel, runFused } from './program';

const SLICE_COPIES = 'MatSliceCopies';

/**
 * What this kernel uses of the WebGPU backend beyond its public API (TF.js 4.22, pinned in
 * package.json; the backend's own `copyBuffer` and `uploadToGPU` record copies the same way).
 */
interface BackendInternals {
  tensorMap: { get(id: tf.DataId): { resource: GPUBuffer | GPUTexture | null } };
  commandQueueOwnedIds: WeakSet<tf.DataId>;
  commandEncoder: GPUCommandEncoder;
  makeTensorInfo(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  uploadToGPU(id: tf.DataId): void;
  ensureCommandEncoderReady(): void;
  endComputePassEncoder(): void;
}

function ensureRegistered(): void {
  registerWebGPUKernel(SLICE_COPIES, ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const sizes = (attrs as unknown as { sizes: number[] }).sizes;
    const b = backend as unknown as BackendInternals;
    b.uploadToGPU(x.dataId);
    const src = b.tensorMap.get(x.dataId).resource;
    if (!(src instanceof GPUBuffer)) throw new Error('MatSliceCopies: the input is not a buffer');
    // Copies go between compute passes: end the open one (the next dispatch opens another).
    b.ensureCommandEncoderReady();
    b.endComputePassEncoder();
    let offset = 0;
    const outs = sizes.map((size) => {
      const out = b.makeTensorInfo([size], 'float32');
      b.uploadToGPU(out.dataId);
      const dst = b.tensorMap.get(out.dataId).resource as GPUBuffer;
      b.commandEncoder.copyBufferToBuffer(src, offset * 4, dst, 0, size * 4);
      // Queued work holds both buffers: the backend releases them only after the submit.
      b.commandQueueOwnedIds.add(out.dataId);
      offset += size;
      return out;
    });
    b.commandQueueOwnedIds.add(x.dataId);
    return outs;
  });
}

/**
 * The consecutive pieces of `x` of the given sizes (their sum at most x's size), each a new
 * tensor [size].
 */
export function sliceCopies(x: tf.Tensor1D, sizes: readonly number[]): tf.Tensor1D[] {
  const total = sizes.reduce((a, s) => a + s, 0);
  if (total > x.size || sizes.some((s) => !Number.isInteger(s) || s < 1)) {
    throw new RangeError(`pieces of ${total} values from a vector of ${x.size}`);
  }
  if (fusedActive() && x.dtype === 'float32') {
    ensureRegistered();
    const out = runFused<tf.Tensor>(SLICE_COPIES, { x }, {
      sizes: [...sizes],
    } as unknown as tf.NamedAttrMap) as unknown as tf.Tensor1D[];
    return out;
  }
  let offset = 0;
  return sizes.map((size) => {
    const p = tf.slice(x, offset, size);
    offset += size;
    return p;
  });
}
