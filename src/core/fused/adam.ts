/**
 * One Adam step over a flat buffer: the whole update of `FusedAdam.apply` (moments, bias
 * correction per variable, new weights).
 *
 * On WebGPU it is one dispatch (docs/method.md "Fused kernels"), one thread per element, which
 * reads w, m, v, the gradient and its variable's two coefficients and writes w', m', v'. The
 * composed ops (≈ 14 element-wise kernels, the arithmetic `FusedAdam` has always used) are the
 * reference and the path off WebGPU, where they give the same bits as before the kernel.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu';
import { fusedActive, registerWebGPUKernel, runFused, runProgram } from './program';

const KERNEL = 'MatAdamStep';
const THREADS = 64;

/**
 * state [3P] = w | m | v, grads [P], coeffs [2n] (each variable's step size, then each one's
 * scaled ε, as `FusedAdam.apply` computes them), segment int32 [P] (the owning variable of each
 * element): the new state w' | m' | v' [3P], with
 *   m' = m + (g − m)(1 − β1),  v' = v + (g² − v)(1 − β2),  w' = w − a·m' / (√v' + e)
 * and a, e the element's variable's coefficients. A new tensor: `state` is never written (the
 * optimizer's snapshots share its buffer).
 */
export function adamStep(
  state: tf.Tensor1D,
  grads: tf.Tensor1D,
  coeffs: tf.Tensor1D,
  segment: tf.Tensor1D,
  beta1: number,
  beta2: number,
): tf.Tensor1D {
  const P = grads.size;
  if (state.size !== 3 * P || segment.size !== P || coeffs.size % 2 !== 0) {
    throw new RangeError(
      `adamStep: state ${state.size}, grads ${P}, segment ${segment.size}, coeffs ${coeffs.size}`,
    );
  }
  if (fusedActive()) {
    ensureRegistered();
    return runFused<tf.Tensor1D>(KERNEL, { state, grads, coeffs, segment }, { beta1, beta2 });
  }
  return composed(state, grads, coeffs, segment, beta1, beta2);
}

function composed(
  state: tf.Tensor1D,
  g: tf.Tensor1D,
  coeffs: tf.Tensor1D,
  segment: tf.Tensor1D,
  beta1: number,
  beta2: number,
): tf.Tensor1D {
  return tf.tidy(() => {
    const [w0, m0, v0] = tf.split(state, 3);
    const m = m0!.add(g.sub(m0!).mul(1 - beta1));
    const v = v0!.add(
      g
        .square()
        .sub(v0!)
        .mul(1 - beta2),
    );
    const [stepSize, epsScaled] = tf.split(coeffs, 2);
    const a = tf.gather(stepSize!, segment);
    const e = tf.gather(epsScaled!, segment);
    const w = w0!.sub(a.mul(m).div(v.sqrt().add(e)));
    return tf.concat([w, m, v]) as tf.Tensor1D;
  });
}

/**
 * Buffers are read directly, each wrapped in f32() (or i32()): TF.js's Cast between int32 and
 * float32 only relabels a tensor, so a buffer may hold the other type.
 */
function program(P: number): WebGPUProgram {
  return {
    variableNames: ['state', 'grads', 'coeffs', 'segment'],
    outputShape: [3 * P],
    shaderKey: `matAdamStep_${THREADS}`,
    dispatchLayout: { x: [0] },
    // A thread per element of w (not of the [3P] output); past 65535 workgroups the backend
    // reshapes the dispatch to 2-D and the index stays flat.
    dispatch: [Math.ceil(P / THREADS), 1, 1],
    workgroupSize: [THREADS, 1, 1],
    uniforms: 'p : i32, n : i32, c1 : f32, c2 : f32,',
    getUserCode: () => `
      fn main(index : i32) {
        let p = uniforms.p;
        if (index < p) {
          let g = f32(grads[index]);
          let m0 = f32(state[p + index]);
          let v0 = f32(state[2 * p + index]);
          let m = m0 + (g - m0) * uniforms.c1;
          let v = v0 + (g * g - v0) * uniforms.c2;
          let s = i32(segment[index]);
          let a = f32(coeffs[s]);
          let e = f32(coeffs[uniforms.n + s]);
          setOutputAtIndex(index, f32(state[index]) - a * m / (sqrt(v) + e));
          setOutputAtIndex(p + index, m);
          setOutputAtIndex(2 * p + index, v);
        }
      }`,
  };
}

let registered = false;

function ensureRegistered(): void {
  if (registered) return;
  registered = true;
  registerWebGPUKernel(KERNEL, ({ inputs, backend, attrs }) => {
    const { state, grads, coeffs, segment } = inputs as Record<string, tf.TensorInfo>;
    const { beta1, beta2 } = attrs as unknown as { beta1: number; beta2: number };
    const P = grads!.shape[0]!;
    return runProgram(
      backend as tf.KernelBackend,
      program(P),
      [state!, grads!, coeffs!, segment!],
      [
        { type: 'int32', data: [P] },
        { type: 'int32', data: [coeffs!.shape[0]! / 2] },
        // 1 − β in float64, then rounded to float32: what the composed ops' scalar holds.
        { type: 'float32', data: [1 - beta1] },
        { type: 'float32', data: [1 - beta2] },
      ],
    );
  });
}
