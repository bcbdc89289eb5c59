/**
 * act(x + bias) over the rows of x: a dense layer's bias and activation after its matmul.
 *
 * On WebGPU (docs/method.md "Fused kernels") the forward is one element-wise dispatch. The
 * gradient saves the output: for relu, relu'(z) = [y > 0], so dx = dy·[y > 0] is one dispatch
 * and the bias's gradient is its column sum (one more); for linear dx is dy itself (no dispatch)
 * and the bias's gradient the column sum of dy. This file also holds `sumRows`, the column-sum
 * program the LayerNorm's gradients share.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import {
  fusedActive,
  registerFusedGradient,
  registerWebGPUKernel,
  runFused,
  runProgram,
} from './program';

export type FusedActivation = 'relu' | 'linear';

/** act(x + bias) for x [R, c], bias [c]. */
export function biasAct(x: tf.Tensor2D, bias: tf.Tensor, act: FusedActivation): tf.Tensor2D {
  if (fusedActive()) {
    ensureRegistered();
    const attrs: BiasActAttrs = { act };
    return runFused<tf.Tensor2D>(FORWARD, { x, bias }, attrs as unknown as tf.NamedAttrMap);
  }
  return composed(x, bias, act);
}

function composed(x: tf.Tensor2D, bias: tf.Tensor, act: FusedActivation): tf.Tensor2D {
  const z = x.add(bias) as tf.Tensor2D;
  return act === 'relu' ? tf.relu(z) : z;
}

/**
 * x [R, c] summed over the rows in `groups` interleaved groups: out [groups, c], out[j] =
 * Σ_k x[k·groups + j] (groups = 1: the column sum; groups = R': the gradient of a residual
 * repeated R / R' times). One dispatch on WebGPU (TF.js's sum over axis 0 transposes first);
 * the composed reshape + sum elsewhere. R must be a multiple of `groups`.
 */
export function sumRows(x: tf.Tensor2D, groups: number): tf.Tensor2D {
  const [R, c] = x.shape;
  if (R % groups !== 0) throw new RangeError(`${R} rows are not ${groups} equal groups`);
  if (fusedActive()) {
    ensureRegistered();
    const attrs: SumRowsAttrs = { groups };
    return runFused<tf.Tensor2D>(SUM_ROWS, { x }, attrs as unknown as tf.NamedAttrMap);
  }
  return x.reshape([R / groups, groups, c]).sum(0) as tf.Tensor2D;
}

/**
 * A dispatch of `n` workgroups as TF.js lays it out: flat up to 65535 (WebGPU's limit per
 * dimension), else a 2-D grid that the generated `getGlobalIndex` linearises (the tail
 * workgroups past n must check their index).
 */
export function workgroupGrid(n: number): [number, number, number] {
  if (n <= 65535) return [n, 1, 1];
  const side = Math.ceil(Math.sqrt(n));
  return [side, Math.ceil(n / side), 1];
}

const FORWARD = 'MatBiasAct';
/** dy·[y > 0]: relu's gradient from its output. */
const RELU_GRAD = 'MatBiasActReluGrad';
const SUM_ROWS = 'MatSumRows';

interface BiasActAttrs {
  act: FusedActivation;
}

interface SumRowsAttrs {
  groups: number;
}

const FLAT_GROUP = 64;

/** An element-wise program over `shape` (a thread per element), `expr` the value at `index`. */
function elementwise(
  shaderKey: string,
  variableNames: string[],
  shape: number[],
  expr: string,
): WebGPUProgram {
  const size = shape.reduce((a, b) => a * b, 1);
  return {
    variableNames,
    outputShape: shape,
    shaderKey,
    dispatchLayout: { x: shape.map((_, i) => i) },
    dispatch: workgroupGrid(Math.ceil(size / FLAT_GROUP)),
    workgroupSize: [FLAT_GROUP, 1, 1],
    size: true,
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          ${expr}
        }
      }`,
  };
}

/** Columns per workgroup of the column sum, and row lanes (their product: 256 threads). */
const SUM_COLS = 32;
const SUM_LANES = 8;

/**
 * One workgroup per (group, 32 columns): 8 lanes each add every 8th row of the group with
 * coalesced loads, then lane 0 adds the 8 partial sums.
 */
function sumRowsProgram(R: number, c: number, groups: number): WebGPUProgram {
  const tiles = Math.ceil(c / SUM_COLS);
  const threads = SUM_COLS * SUM_LANES;
  return {
    variableNames: ['x'],
    outputShape: [groups, c],
    shaderKey: `matSumRows_${SUM_COLS}_${SUM_LANES}`,
    dispatchLayout: { x: [0, 1] },
    dispatch: workgroupGrid(groups * tiles),
    workgroupSize: [threads, 1, 1],
    uniforms: 'groups : i32,',
    getUserCode: () => `
      var<workgroup> part : array<f32, ${threads}>;
      fn main(index : i32) {
        let id = i32(localId.x);
        let t = id % ${SUM_COLS};
        let lane = id / ${SUM_COLS};
        let cols = uniforms.xShape.y;
        let groups = uniforms.groups;
        let tiles = (cols + ${SUM_COLS - 1}) / ${SUM_COLS};
        let wg = index / ${threads};
        let grp = wg / tiles;
        let c = (wg % tiles) * ${SUM_COLS} + t;
        let live = grp < groups && c < cols;
        var acc = 0.0;
        if (live) {
          let n = uniforms.xShape.x / groups;
          for (var k = lane; k < n; k += ${SUM_LANES}) { acc += f32(x[(k * groups + grp) * cols + c]); }
        }
        part[id] = acc;
        workgroupBarrier();
        if (lane == 0 && live) {
          var total = 0.0;
          for (var l = 0; l < ${SUM_LANES}; l++) { total += part[l * ${SUM_COLS} + t]; }
          setOutputAtIndex(grp * cols + c, total);
        }
      }`,
  };
}

let registered = false;

function ensureRegistered(): void {
  if (registered) return;
  registered = true;
  registerWebGPUKernel(FORWARD, ({ inputs, backend, attrs }) => {
    const { x, bias } = inputs as { x: tf.TensorInfo; bias: tf.TensorInfo };
    const { act } = attrs as unknown as BiasActAttrs;
    const value = act === 'relu' ? 'select(v, 0.0, v < 0.0)' : 'v';
    const program = elementwise(
      `matBiasAct_${act}`,
      ['x', 'bias'],
      x.shape,
      `let v = f32(x[index]) + f32(bias[index % uniforms.xShape.y]);
          setOutputAtIndex(index, ${value});`,
    );
    return runProgram(backend as tf.KernelBackend, program, [x, bias]);
  });
  registerWebGPUKernel(RELU_GRAD, ({ inputs, backend }) => {
    const { dy, y } = inputs as { dy: tf.TensorInfo; y: tf.TensorInfo };
    const program = elementwise(
      'matBiasActReluGrad',
      ['dy', 'y'],
      dy.shape,
      'setOutputAtIndex(index, select(0.0, f32(dy[index]), f32(y[index]) > 0.0));',
    );
    return runProgram(backend as tf.KernelBackend, program, [dy, y]);
  });
  registerWebGPUKernel(SUM_ROWS, ({ inputs, backend, attrs }) => {
    const { x } = inputs as { x: tf.TensorInfo };
    const { groups } = attrs as unknown as SumRowsAttrs;
    const [R, c] = x.shape as [number, number];
    return runProgram(
      backend as tf.KernelBackend,
      sumRowsProgram(R, c, groups),
      [x],
      [{ type: 'int32', data: [groups] }],
    );
  });
  registerFusedGradient({
    kernelName: FORWARD,
    inputsToSave: ['bias'],
    outputsToSave: [true],
    gradFunc: (dy, saved, attrs) => {
      const { act } = attrs as unknown as BiasActAttrs;
      const dyT = dy as tf.Tensor2D;
      const [bias, y] = saved as [tf.Tensor, tf.Tensor];
      // dx feeds both inputs: computed by the first the engine asks for, then cloned (distinct
      // tensors the engine may dispose separately).
      let dx: tf.Tensor2D | null = null;
      const gradX = (): tf.Tensor2D => {
        if (dx && !dx.isDisposed) return dx.clone();
        dx = act === 'relu' ? runFused<tf.Tensor2D>(RELU_GRAD, { dy: dyT, y }) : dyT.clone();
        return dx;
      };
      return {
        x: gradX,
        bias: () => sumRows(act === 'relu' ? gradX() : dyT, 1).reshape(bias.shape),
      };
    },
  });
}
