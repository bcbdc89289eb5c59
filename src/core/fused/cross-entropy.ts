/**
 * Softmax cross-entropy of logits (plus a bias row) against one-hot targets, reduced.
 *
 * On WebGPU it is one kernel each way (docs/method.md "Fused kernels"). The forward runs two
 * programs: one workgroup per row reduces the row's max, then Σ exp(z − max) and z·onehot in
 * workgroup memory and writes the row's loss; one workgroup then sums the R losses into the
 * scalar. (A single dispatch would need one workgroup to read all R·V logits, or float atomics
 * WGSL lacks.) The backward is one dispatch, one workgroup per row, that recomputes the row's
 * max and Σ exp from the logits and writes (softmax(z) − onehot)·dy·scale; the bias gradient is
 * its column sum, one more dispatch. The composed ops (add, logSumExp, mul, sum, sub, mean:
 * 11 dispatches forward and 16 backward with a bias, measured) are the reference and the path
 * off WebGPU.
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

/** Two forward kernels, so that each can name the inputs its gradient saves. */
const FORWARD = 'MatCrossEntropy';
const FORWARD_NO_BIAS = 'MatCrossEntropyNoBias';
const BACKWARD = 'MatCrossEntropyGrad';
const BIAS_GRAD = 'MatCrossEntropyBiasGrad';

type Reduction = 'mean' | 'sum';

/**
 * Σ or mean over the rows of logSumExp(z) − z·onehot, z = logits + bias: the masked positions'
 * loss with the tied decoder's bias. logits and oneHot [R, V], bias [V] or null.
 */
export function crossEntropy(
  logits: tf.Tensor2D,
  bias: tf.Tensor | null,
  oneHot: tf.Tensor2D,
  reduction: 'mean' | 'sum',
): tf.Scalar {
  if (fusedActive()) {
    ensureRegistered();
    return bias
      ? runFused<tf.Scalar>(FORWARD, { logits, bias, oneHot }, { reduction })
      : runFused<tf.Scalar>(FORWARD_NO_BIAS, { logits, oneHot }, { reduction });
  }
  return composed(logits, bias, oneHot, reduction);
}

/**
 * Softmax cross-entropy per row, [N]: log Σ_c exp(logit_c) − the target's logit (`oneHot` the
 * [N, C] one-hot targets). A row is a sample (MLP, VGG) or a masked position (BERT, Switch).
 * The composed ops every family's loss and kernels use (`crossEntropy` reduces it).
 */
export function sampleLosses(logits: tf.Tensor2D, oneHot: tf.Tensor2D): tf.Tensor1D {
  return tf.logSumExp(logits, 1).sub(logits.mul(oneHot).sum(1)) as tf.Tensor1D;
}

function composed(
  logits: tf.Tensor2D,
  bias: tf.Tensor | null,
  oneHot: tf.Tensor2D,
  reduction: 'mean' | 'sum',
): tf.Scalar {
  const z = bias ? (logits.add(bias) as tf.Tensor2D) : logits;
  const perRow = sampleLosses(z, oneHot);
  return (reduction === 'mean' ? perRow.mean() : perRow.sum()) as tf.Scalar;
}

/** Threads per row: TF.js's softmax choice, 64, or 256 for rows of 4096 and more. */
function threadsFor(V: number): number {
  return V >= 4096 ? 256 : 64;
}

/**
 * The programs read their inputs' buffers directly, each wrapped in f32(): TF.js's Cast from
 * int32 (or bool) to float32 only relabels the tensor, so a one-hot made by tf.oneHot(…).toFloat()
 * arrives as an i32 buffer.
 *
 * WGSL shared by both row programs: `zAt(base, col)` (logits + bias) and `rowStats(row)`, which
 * leaves the row's max in `rowMax` and Σ exp(z − max) in `rowSum` (and Σ z·onehot in `rowDot`
 * when `dot`), for every thread of the workgroup. `row` must be the same in the whole
 * workgroup; the barriers sit in uniform control flow.
 */
function rowStatsCode(threads: number, hasBias: boolean, dot: boolean): string {
  const reduceTree = (op: (a: string, b: string) => string, arr: string) => `
      for (var half = ${threads / 2}; half > 0; half = half >> 1) {
        if (tid < half) { ${arr}[tid] = ${op(`${arr}[tid]`, `${arr}[tid + half]`)}; }
        workgroupBarrier();
      }`;
  return `
    var<workgroup> bufA : array<f32, ${threads}>;
    var<workgroup> bufB : array<f32, ${threads}>;
    var<workgroup> rowMax : f32;
    var<workgroup> rowSum : f32;
    var<workgroup> rowDot : f32;

    fn zAt(base : i32, col : i32) -> f32 {
      return f32(logits[base + col])${hasBias ? ' + f32(bias[col])' : ''};
    }

    fn rowStats(base : i32, cols : i32) {
      let tid = i32(localId.x);
      var m = -3.402823e+38f;
      for (var col = tid; col < cols; col += ${threads}) { m = max(m, zAt(base, col)); }
      bufA[tid] = m;
      workgroupBarrier();
      ${reduceTree((a, b) => `max(${a}, ${b})`, 'bufA')}
      if (tid == 0) { rowMax = bufA[0]; }
      workgroupBarrier();
      let mx = rowMax;
      var s = 0.0;
      var d = 0.0;
      for (var col = tid; col < cols; col += ${threads}) {
        let v = zAt(base, col);
        s += exp(v - mx);
        ${dot ? 'd += v * f32(oneHot[base + col]);' : ''}
      }
      bufA[tid] = s;
      bufB[tid] = d;
      workgroupBarrier();
      ${reduceTree((a, b) => `${a} + ${b}`, 'bufA')}
      ${dot ? reduceTree((a, b) => `${a} + ${b}`, 'bufB') : ''}
      if (tid == 0) {
        rowSum = bufA[0];
        rowDot = bufB[0];
      }
      workgroupBarrier();
    }`;
}

/** One workgroup per row: the row's loss log Σ exp(z − max) + max − z·onehot, output [R]. */
function rowsProgram(R: number, V: number, hasBias: boolean): WebGPUProgram {
  const threads = threadsFor(V);
  return {
    variableNames: hasBias ? ['logits', 'bias', 'oneHot'] : ['logits', 'oneHot'],
    outputShape: [R],
    shaderKey: `matCrossEntropyRows_${threads}_${hasBias ? 'bias' : 'nobias'}`,
    dispatchLayout: { x: [0] },
    dispatch: [R, 1, 1],
    workgroupSize: [threads, 1, 1],
    uniforms: 'rows : i32, cols : i32,',
    getUserCode: () => `
      ${rowStatsCode(threads, hasBias, true)}
      fn main(index : i32) {
        // A dispatch past 65535 workgroups is reshaped to 2-D and may overshoot R: those
        // workgroups redo the last row (the barriers need uniform control flow) and write nothing.
        let row = index / ${threads};
        let r = min(row, uniforms.rows - 1);
        rowStats(r * uniforms.cols, uniforms.cols);
        if (i32(localId.x) == 0 && row < uniforms.rows) {
          setOutputAtIndex(row, log(rowSum) + rowMax - rowDot);
        }
      }`,
  };
}

const SUM_THREADS = 256;

/** One workgroup: Σ of the R row losses divided by `divisor` (R for the mean, 1 for the sum). */
function sumProgram(): WebGPUProgram {
  return {
    variableNames: ['x'],
    outputShape: [],
    shaderKey: `matCrossEntropySum_${SUM_THREADS}`,
    dispatchLayout: { x: [] },
    dispatch: [1, 1, 1],
    workgroupSize: [SUM_THREADS, 1, 1],
    uniforms: 'rows : i32, divisor : f32,',
    getUserCode: () => `
      var<workgroup> buf : array<f32, ${SUM_THREADS}>;
      fn main(index : i32) {
        let tid = i32(localId.x);
        var s = 0.0;
        for (var i = tid; i < uniforms.rows; i += ${SUM_THREADS}) { s += f32(x[i]); }
        buf[tid] = s;
        workgroupBarrier();
        for (var half = ${SUM_THREADS / 2}; half > 0; half = half >> 1) {
          if (tid < half) { buf[tid] = buf[tid] + buf[tid + half]; }
          workgroupBarrier();
        }
        if (tid == 0) { setOutputAtIndex(0, buf[0] / uniforms.divisor); }
      }`,
  };
}

/** One workgroup per row: (softmax(z) − onehot)·dy·scale, output [R, V]. */
function gradProgram(R: number, V: number, hasBias: boolean): WebGPUProgram {
  const threads = threadsFor(V);
  return {
    variableNames: hasBias ? ['logits', 'bias', 'oneHot', 'dy'] : ['logits', 'oneHot', 'dy'],
    outputShape: [R, V],
    shaderKey: `matCrossEntropyGrad_${threads}_${hasBias ? 'bias' : 'nobias'}`,
    dispatchLayout: { x: [0, 1] },
    dispatch: [R, 1, 1],
    workgroupSize: [threads, 1, 1],
    uniforms: 'rows : i32, cols : i32, scale : f32,',
    getUserCode: () => `
      ${rowStatsCode(threads, hasBias, false)}
      fn main(index : i32) {
        let row = index / ${threads};
        let r = min(row, uniforms.rows - 1);
        let base = r * uniforms.cols;
        rowStats(base, uniforms.cols);
        if (row < uniforms.rows) {
          let g = f32(dy[0]) * uniforms.scale;
          let mx = rowMax;
          let inv = 1.0 / rowSum;
          for (var col = i32(localId.x); col < uniforms.cols; col += ${threads}) {
            let p = exp(zAt(base, col) - mx) * inv;
            setOutputAtIndex(base + col, (p - f32(oneHot[base + col])) * g);
          }
        }
      }`,
  };
}

const COLUMN_THREADS = 64;

/**
 * Thread per column: Σ over the R rows of dlogits, output [V]. One dispatch where TF.js's Sum
 * over axis 0 is two (a transpose, then the reduction); the rows are added in order, as cpu's.
 */
function columnSumProgram(R: number, V: number): WebGPUProgram {
  return {
    variableNames: ['x'],
    outputShape: [V],
    shaderKey: `matCrossEntropyColumnSum_${COLUMN_THREADS}`,
    dispatchLayout: { x: [0] },
    dispatch: [Math.ceil(V / COLUMN_THREADS), 1, 1],
    workgroupSize: [COLUMN_THREADS, 1, 1],
    size: true,
    uniforms: 'rows : i32,',
    getUserCode: () => `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var s = 0.0;
          for (var r = 0; r < uniforms.rows; r++) { s += f32(x[r * uniforms.size + index]); }
          setOutputAtIndex(index, s);
        }
      }`,
  };
}

interface CrossEntropyAttrs {
  reduction: Reduction;
}

function attrsOf(attrs: tf.NamedAttrMap | undefined): CrossEntropyAttrs {
  return attrs as unknown as CrossEntropyAttrs;
}

let registered = false;

function ensureRegistered(): void {
  if (registered) return;
  registered = true;
  const forward: tf.KernelFunc = ({ inputs, backend, attrs }) => {
    const { logits, bias, oneHot } = inputs as Record<string, tf.TensorInfo | undefined>;
    const [R, V] = logits!.shape as [number, number];
    const { reduction } = attrsOf(attrs);
    const ins = bias ? [logits!, bias, oneHot!] : [logits!, oneHot!];
    const rows = runProgram(backend as tf.KernelBackend, rowsProgram(R, V, !!bias), ins, [
      { type: 'int32', data: [R] },
      { type: 'int32', data: [V] },
    ]);
    const out = runProgram(
      backend as tf.KernelBackend,
      sumProgram(),
      [rows],
      [
        { type: 'int32', data: [R] },
        { type: 'float32', data: [reduction === 'mean' ? R : 1] },
      ],
    );
    (backend as tf.KernelBackend).disposeData(rows.dataId);
    return out;
  };
  registerWebGPUKernel(FORWARD, forward);
  registerWebGPUKernel(FORWARD_NO_BIAS, forward);
  registerWebGPUKernel(BACKWARD, ({ inputs, backend, attrs }) => {
    const { logits, bias, oneHot, dy } = inputs as Record<string, tf.TensorInfo | undefined>;
    const [R, V] = logits!.shape as [number, number];
    const { reduction } = attrsOf(attrs);
    const ins = bias ? [logits!, bias, oneHot!, dy!] : [logits!, oneHot!, dy!];
    return runProgram(backend as tf.KernelBackend, gradProgram(R, V, !!bias), ins, [
      { type: 'int32', data: [R] },
      { type: 'int32', data: [V] },
      { type: 'float32', data: [reduction === 'mean' ? 1 / R : 1] },
    ]);
  });
  registerWebGPUKernel(BIAS_GRAD, ({ inputs, backend }) => {
    const x = inputs.x as tf.TensorInfo;
    const [R, V] = x.shape as [number, number];
    return runProgram(
      backend as tf.KernelBackend,
      columnSumProgram(R, V),
      [x],
      [{ type: 'int32', data: [R] }],
    );
  });
  registerFusedGradient({
    kernelName: FORWARD,
    inputsToSave: ['logits', 'bias', 'oneHot'],
    gradFunc: (dy, [logits, bias, oneHot], attrs) =>
      gradients(dy as tf.Tensor, logits!, bias!, oneHot!, attrsOf(attrs).reduction),
  });
  registerFusedGradient({
    kernelName: FORWARD_NO_BIAS,
    inputsToSave: ['logits', 'oneHot'],
    gradFunc: (dy, [logits, oneHot], attrs) =>
      gradients(dy as tf.Tensor, logits!, null, oneHot!, attrsOf(attrs).reduction),
  });
}

/**
 * The inputs' gradient functions. dlogits is computed once, here, for both the logits and the
 * bias (the engine calls each input's function separately).
 */
function gradients(
  dy: tf.Tensor,
  logits: tf.Tensor,
  bias: tf.Tensor | null,
  oneHot: tf.Tensor,
  reduction: Reduction,
): Record<string, () => tf.Tensor> {
  const dLogits = runFused<tf.Tensor2D>(
    BACKWARD,
    bias ? { logits, bias, oneHot, dy } : { logits, oneHot, dy },
    { reduction },
  );
  const grads: Record<string, () => tf.Tensor> = {
    logits: () => dLogits,
    // −z·dy·scale, composed: the lab never differentiates the targets, and the engine calls
    // this only when they lie on the path to a variable (pruned otherwise).
    oneHot: () => {
      const z = bias ? logits.add(bias) : logits;
      const s = reduction === 'mean' ? 1 / logits.shape[0]! : 1;
      return z.mul(dy).mul(-s);
    },
  };
  if (bias) grads.bias = () => runFused<tf.Tensor>(BIAS_GRAD, { x: dLogits }).reshape(bias.shape);
  return grads;
}
