/**
 * Tensors moved between buffers by buffer-to-buffer copies instead of compute programs: the
 * consecutive pieces of a flat vector as tensors of their own (`sliceCopies`: the new weights
 * of each variable out of Adam's flat [w|m|v] state, core/optim/adam.ts), and whole tensors laid
 * end to end in one (`concatCopies`: the gradients into Adam's flat gradient; `concatRows`: a
 * head group's output-projection rows, whose gradient is pieces again; `concatCols`: its q|k|v
 * columns, one Transpose besides the copies).
 *
 * A TF.js program has one output and a tensor cannot alias part of another's buffer, so on
 * WebGPU each piece would be a Slice program (one dispatch per piece) and a concatenation one
 * Concat program per as many inputs as the device's storage buffers per stage allow, less one
 * (5 for Adam's 43 gradients under SwiftShader's 12). Here, on WebGPU, one kernel records a
 * buffer-to-buffer copy per piece into the backend's command encoder instead: no shader, bind
 * group or uniform buffer, the copies in a row between two compute passes. Elsewhere they are
 * TF.js's own `tf.slice` / `tf.concat`, as before.
 *
 * `stackCopies` is `concatCopies` on a new axis (a Switch layer's experts' weights). `appendOnes`
 * belongs with them: x with a ones column (the input of a matmul whose weights carry the bias as
 * a last row), whose gradient is x's columns of dy only.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { workgroupGrid } from './bias-act';
import {
  fusedActive,
  registerFusedGradient,
  registerWebGPUKernel,
  runFused,
  runProgram,
} from './program';

const SLICE_COPIES = 'MatSliceCopies';
const CONCAT_COPIES = 'MatConcatCopies';
const APPEND_ONES = 'MatAppendOnes';

/**
 * What these kernels use of the WebGPU backend beyond its public API (TF.js 4.22, pinned in
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

/** The GPU buffer of `t` (uploaded first if its values are still on the CPU side). */
function bufferOf(b: BackendInternals, t: tf.TensorInfo, kernel: string): GPUBuffer {
  b.uploadToGPU(t.dataId);
  const buf = b.tensorMap.get(t.dataId).resource;
  if (!(buf instanceof GPUBuffer)) throw new Error(`${kernel}: the input is not a buffer`);
  return buf;
}

/** Copies go between compute passes: end the open one (the next dispatch opens another). */
function startCopies(b: BackendInternals): void {
  b.ensureCommandEncoderReady();
  b.endComputePassEncoder();
}

function ensureSliceRegistered(): void {
  registerWebGPUKernel(SLICE_COPIES, ({ inputs, backend, attrs }) => {
    const x = inputs.x as tf.TensorInfo;
    const sizes = (attrs as unknown as { sizes: number[] }).sizes;
    const b = backend as unknown as BackendInternals;
    const src = bufferOf(b, x, SLICE_COPIES);
    startCopies(b);
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

function ensureConcatRegistered(): void {
  registerWebGPUKernel(CONCAT_COPIES, ({ inputs, backend }) => {
    const b = backend as unknown as BackendInternals;
    const xs = concatInputs(inputs);
    const total = xs.reduce((n, x) => n + tf.util.sizeFromShape(x.shape), 0);
    const srcs = xs.map((x) => bufferOf(b, x, CONCAT_COPIES));
    const out = b.makeTensorInfo([total], 'float32');
    b.uploadToGPU(out.dataId);
    const dst = b.tensorMap.get(out.dataId).resource as GPUBuffer;
    startCopies(b);
    let offset = 0;
    xs.forEach((x, i) => {
      const size = tf.util.sizeFromShape(x.shape);
      b.commandEncoder.copyBufferToBuffer(srcs[i]!, 0, dst, offset * 4, size * 4);
      b.commandQueueOwnedIds.add(x.dataId);
      offset += size;
    });
    b.commandQueueOwnedIds.add(out.dataId);
    return out;
  });
  // The gradient of a flat concatenation: dy's pieces, each in its input's shape.
  registerFusedGradient({
    kernelName: CONCAT_COPIES,
    inputsToSave: [],
    gradFunc: (dy, _saved, attrs) => {
      const shapes = (attrs as unknown as { shapes: number[][] }).shapes;
      const pieces = sliceCopies(
        (Array.isArray(dy) ? dy[0]! : dy) as tf.Tensor1D,
        shapes.map((s) => tf.util.sizeFromShape(s)),
      );
      return Object.fromEntries(pieces.map((p, i) => [`x${i}`, () => p.reshape(shapes[i]!)]));
    },
  });
}

/** The kernel's inputs x0, x1, … in order. */
function concatInputs(inputs: tf.NamedTensorInfoMap): tf.TensorInfo[] {
  return Array.from({ length: Object.keys(inputs).length }, (_, i) => inputs[`x${i}`]!);
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
    ensureSliceRegistered();
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

/**
 * The values of `xs` (float32, any shapes, at least one value each) end to end: a new tensor
 * [Σ sizes]. Differentiable: each input's gradient is its piece of the output's, in its shape.
 */
export function concatCopies(xs: readonly tf.Tensor[]): tf.Tensor1D {
  if (xs.length === 0 || xs.some((x) => x.size === 0)) {
    throw new RangeError('concatCopies: no inputs, or an empty one');
  }
  if (fusedActive() && xs.every((x) => x.dtype === 'float32')) {
    ensureSliceRegistered();
    ensureConcatRegistered();
    const inputs = Object.fromEntries(xs.map((x, i) => [`x${i}`, x]));
    return runFused<tf.Tensor1D>(CONCAT_COPIES, inputs, {
      shapes: xs.map((x) => [...x.shape]),
    } as unknown as tf.NamedAttrMap);
  }
  return tf.concat(xs.map((x) => x.reshape([-1]))) as tf.Tensor1D;
}

/**
 * Matrices with the same number of columns stacked row-wise, as `tf.concat(xs, 0)`: on WebGPU
 * by buffer copies (the rows of each are contiguous), and so is its gradient; elsewhere
 * `tf.concat` itself, whose gradient is TF.js's SplitV.
 */
export function concatRows(xs: readonly tf.Tensor2D[]): tf.Tensor2D {
  const cols = xs[0]?.shape[1];
  if (cols === undefined || xs.some((x) => x.shape[1] !== cols)) {
    throw new RangeError('concatRows: no inputs, or different numbers of columns');
  }
  if (!fusedActive()) return tf.concat(xs as tf.Tensor2D[], 0);
  const rows = xs.reduce((n, x) => n + x.shape[0], 0);
  return tf.tidy(() => concatCopies(xs).reshape([rows, cols]));
}

/**
 * Matrices with the same shape [R, c] side by side, as `tf.concat(xs, 1)` [R, B·c]: on WebGPU
 * their values end to end by buffer copies, then one Transpose [B, R, c] → [R, B, c], so the
 * gradient is one Transpose back and buffer copies (TF.js's Concat gradient is a SplitV, one
 * Slice program per matrix); elsewhere, or for matrices of different widths, `tf.concat`.
 */
export function concatCols(xs: readonly tf.Tensor2D[]): tf.Tensor2D {
  const [R, c] = xs[0]?.shape ?? [];
  if (R === undefined || c === undefined || xs.some((x) => x.shape[0] !== R)) {
    throw new RangeError('concatCols: no inputs, or different numbers of rows');
  }
  if (!fusedActive() || xs.length === 1 || xs.some((x) => x.shape[1] !== c)) {
    return tf.concat(xs as tf.Tensor2D[], 1);
  }
  const B = xs.length;
  return tf.tidy(() =>
    tf.transpose(concatCopies(xs).reshape([B, R, c]), [1, 0, 2]).reshape([R, B * c]),
  );
}

function ensureAppendOnesRegistered(): void {
  registerWebGPUKernel(APPEND_ONES, ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    const [R, c] = x.shape as [number, number];
    const size = R * (c + 1);
    const program: WebGPUProgram = {
      variableNames: ['x'],
      outputShape: [R, c + 1],
      shaderKey: 'matAppendOnes',
      dispatchLayout: { x: [0, 1] },
      dispatch: workgroupGrid(Math.ceil(size / 64)),
      workgroupSize: [64, 1, 1],
      size: true,
      getUserCode: () => `
        fn main(index : i32) {
          if (index < uniforms.size) {
            let c = uniforms.xShape.y;
            let r = index / (c + 1);
            let j = index % (c + 1);
            var v = 1.0;
            if (j < c) { v = f32(x[r * c + j]); }
            setOutputAtIndex(index, v);
          }
        }`,
    };
    return runProgram(backend, program, [x]);
  });
  // The ones column is a constant: x's gradient is dy without its last column (one Slice;
  // TF.js's Concat gradient would slice the constant's column too).
  registerFusedGradient({
    kernelName: APPEND_ONES,
    inputsToSave: [],
    gradFunc: (dy) => {
      const d = (Array.isArray(dy) ? dy[0]! : dy) as tf.Tensor2D;
      const [R, c1] = d.shape;
      return { x: () => tf.slice(d, [0, 0], [R, c1 - 1]) };
    },
  });
}

/**
 * x [..., c] with a ones column after its last, [..., c + 1], as `tf.concat([x, ones], -1)`:
 * one program on WebGPU (over x's rows as a matrix), whose gradient is dy's first c columns
 * alone; elsewhere that concatenation itself.
 */
export function appendOnes<T extends tf.Tensor>(x: T): T {
  const c = x.shape[x.rank - 1];
  if (x.rank < 2 || c === undefined) throw new RangeError('appendOnes: x needs rows and columns');
  const lead = x.shape.slice(0, -1);
  if (fusedActive() && x.dtype === 'float32') {
    ensureAppendOnesRegistered();
    return tf.tidy(() => {
      const rows = x.size / c;
      const m = x.rank === 2 ? x : x.reshape([rows, c]);
      const out = runFused<tf.Tensor2D>(APPEND_ONES, { x: m });
      return (x.rank === 2 ? out : out.reshape([...lead, c + 1])) as T;
    });
  }
  return tf.tidy(() => tf.concat([x, tf.ones([...lead, 1])], x.rank - 1) as T);
}

/**
 * Tensors of one shape stacked on a new first axis, as `tf.stack(xs)`: on WebGPU by buffer
 * copies, and so is its gradient (TF.js's Unstack is a Slice program per tensor); elsewhere
 * `tf.stack` itself.
 */
export function stackCopies<T extends tf.Tensor>(xs: readonly tf.Tensor[]): T {
  const shape = xs[0]?.shape;
  if (shape === undefined || xs.some((x) => !tf.util.arraysEqual(x.shape, shape))) {
    throw new RangeError('stackCopies: no inputs, or different shapes');
  }
  if (!fusedActive()) return tf.stack(xs as tf.Tensor[]) as T;
  return tf.tidy(() => concatCopies(xs).reshape([xs.length, ...shape]) as T);
}
