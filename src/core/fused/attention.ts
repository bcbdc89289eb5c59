/**
 * Scaled dot-product attention of a group of heads from their fused q|k|v projection: the
 * step's (and the probe's) whole attention core between the two projections.
 *
 * On WebGPU it is one kernel each way (docs/method.md "Fused kernels"): the forward is one
 * dispatch with one thread per query row and an online softmax over the keys (running max and
 * sum, so no T×T scores are stored anywhere), the backward one dispatch with one workgroup per
 * (sequence, head) that recomputes the probabilities from per-query statistics in workgroup
 * memory, then writes dq, dk and dv straight into the q|k|v layout of the input. The composed
 * ops (transpose, slice, matMul, softmax: 9 dispatches forward, 25 forward+backward on WebGPU,
 * attention.test.ts) are the reference and the path off WebGPU, where nothing changes.
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

/** N sequences of T tokens, g heads of width d_h. */
export interface AttentionDims {
  N: number;
  T: number;
  g: number;
  dh: number;
}

/**
 * qkv [N·T, g·3·d_h] (per head q, k, v side by side, heads in order) → the heads' contexts
 * [N·T, g·d_h], softmax(q·kᵀ/√d_h)·v per sequence and head, no mask.
 */
export function attention(qkv: tf.Tensor2D, dims: AttentionDims): tf.Tensor2D {
  if (fusedActive() && fusedFits(dims)) {
    return runFused<tf.Tensor2D>(ATTENTION, { qkv }, { ...dims });
  }
  return composed(qkv, dims);
}

function composed(qkv: tf.Tensor2D, { N, T, g, dh }: AttentionDims): tf.Tensor2D {
  const heads = qkv
    .reshape([N, T, g, 3 * dh])
    .transpose([0, 2, 1, 3])
    .reshape([N * g, T, 3 * dh]);
  const q = heads.slice([0, 0, 0], [-1, -1, dh]).mul(1 / Math.sqrt(dh));
  const k = heads.slice([0, 0, dh], [-1, -1, dh]);
  const v = heads.slice([0, 0, 2 * dh], [-1, -1, dh]);
  const probs = tf.softmax(tf.matMul(q, k, false, true));
  return tf
    .matMul(probs, v)
    .reshape([N, g, T, dh])
    .transpose([0, 2, 1, 3])
    .reshape([N * T, g * dh]) as tf.Tensor2D;
}

/** The forward kernel's and the backward kernel's names (on the tape and in tf.profile). */
export const ATTENTION = 'MatAttention';
export const ATTENTION_GRAD = 'MatAttentionGrad';

/**
 * Largest sizes the kernels take; beyond them (never in the lab: T ≤ 256, d_h ≤ 512) the
 * composed ops run. The backward keeps three floats per query in workgroup memory (3·4·T bytes
 * of the 16 KiB WebGPU guarantees), and each thread three d_h-float rows in function memory
 * (6 KiB at 512, within WGSL's 8 KiB per function).
 */
const MAX_T = 1024;
const MAX_DH = 512;

function fusedFits({ T, dh }: AttentionDims): boolean {
  return T <= MAX_T && dh <= MAX_DH;
}

/** Threads of a forward workgroup (a block of query rows of one sequence and head). */
const FWD_BLOCK = 64;
/** Most threads of a backward workgroup (one sequence and head, looping over its rows). */
const BWD_THREADS = 256;

function nextPow2(x: number): number {
  return 2 ** Math.ceil(Math.log2(Math.max(1, x)));
}

function dimsOf(attrs: tf.NamedAttrMap | undefined): AttentionDims {
  if (!attrs) throw new Error(`${ATTENTION}: missing attrs N, T, g, dh`);
  const { N, T, g, dh } = attrs as unknown as AttentionDims;
  return { N, T, g, dh };
}

/**
 * The WGSL constants both kernels share: sizes are compile-time constants (so the loops over
 * d_h have fixed bounds and the function-memory rows fixed sizes), all of them in the shader
 * key with the workgroup size. N is only the dispatch's z, so batch sizes share one shader.
 */
function constants({ T, g, dh }: AttentionDims, threads: number): string {
  return `
    const ATT_T : i32 = ${T};
    const ATT_DH : i32 = ${dh};
    const ATT_ROW : i32 = ${3 * g * dh};
    const ATT_OROW : i32 = ${g * dh};
    const ATT_THREADS : i32 = ${threads};`;
}

function shaderKey(kind: string, { T, g, dh }: AttentionDims, threads: number): string {
  return `matAttention${kind}_T${T}_g${g}_dh${dh}_w${threads}`;
}

/**
 * 1/√d_h as a float32 uniform: the value the composed path's `mul(1 / Math.sqrt(dh))` uses
 * (a float32 scalar tensor), so each scaled q is the same correctly rounded float32 product.
 */
function scaleUniform(dh: number): { type: 'float32'; data: number[] } {
  return { type: 'float32', data: [1 / Math.sqrt(dh)] };
}

/**
 * Forward: workgroup (block of queries, head j, sequence n), one thread per query row. Each
 * thread streams the keys once with the running max m, running sum l and running Σ p·v,
 * rescaling them by exp(m_old − m_new) whenever a larger logit arrives (so exp never sees a
 * positive argument, whatever the logits' scale), and writes ctx = (Σ p·v)/l.
 */
function forwardProgram(dims: AttentionDims): WebGPUProgram {
  const { N, T, g } = dims;
  const threads = Math.min(FWD_BLOCK, nextPow2(T));
  const outputShape = [N * T, g * dims.dh];
  return {
    variableNames: ['qkv'],
    outputShape,
    shaderKey: shaderKey('Fwd', dims, threads),
    dispatchLayout: { x: [0, 1] },
    dispatch: [Math.ceil(T / threads), g, N],
    workgroupSize: [threads, 1, 1],
    uniforms: 'scale : f32,',
    getUserCode: () => `
      ${constants(dims, threads)}

      fn main(index : i32) {
        let n = i32(workgroupId.z);
        let j = i32(workgroupId.y);
        let t = i32(workgroupId.x) * ATT_THREADS + i32(localId.x);
        if (t >= ATT_T) {
          return;
        }
        // qkv's offset of sequence n's first row, head j's q column 0.
        let head = n * ATT_T * ATT_ROW + j * 3 * ATT_DH;
        var q : array<f32, ATT_DH>;
        var acc : array<f32, ATT_DH>;
        let qb = head + t * ATT_ROW;
        for (var e = 0; e < ATT_DH; e++) {
          q[e] = f32(qkv[qb + e]) * uniforms.scale;
        }
        var m = -3.402823e+38f;
        var l = 0.0;
        for (var s = 0; s < ATT_T; s++) {
          let kb = head + s * ATT_ROW + ATT_DH;
          let vb = kb + ATT_DH;
          var x = 0.0;
          for (var e = 0; e < ATT_DH; e++) {
            x += q[e] * f32(qkv[kb + e]);
          }
          if (x > m) {
            let c = exp(m - x);
            l = l * c + 1.0;
            for (var e = 0; e < ATT_DH; e++) {
              acc[e] = acc[e] * c + f32(qkv[vb + e]);
            }
            m = x;
          } else {
            let p = exp(x - m);
            l += p;
            for (var e = 0; e < ATT_DH; e++) {
              acc[e] += p * f32(qkv[vb + e]);
            }
          }
        }
        let inv = 1.0 / l;
        let ob = (n * ATT_T + t) * ATT_OROW + j * ATT_DH;
        for (var e = 0; e < ATT_DH; e++) {
          setOutputAtIndex(ob + e, acc[e] * inv);
        }
      }`,
  };
}

/**
 * Backward: workgroup (head j, sequence n), its threads striding over the T rows three times.
 * (1) Per query t: the softmax row's max m_t and 1/l_t (as the forward, online) and
 * D_t = dctx_t·ctx_t, into workgroup memory. (2) Per query t, after a barrier: with
 * P[t,s] = exp(x_ts − m_t)/l_t and dS[t,s] = P[t,s]·(dctx_t·v_s − D_t), dq_t = scale·Σ_s dS·k_s.
 * (3) Per key s: dk_s = scale·Σ_t dS[t,s]·q_t and dv_s = Σ_t P[t,s]·dctx_t. Phases 2 and 3
 * compute the logit x_ts with the same operations in the same order, so both see the same P.
 * Each of dqkv's elements is written by exactly one thread.
 */
function backwardProgram(dims: AttentionDims): WebGPUProgram {
  const { N, T, g, dh } = dims;
  const threads = Math.min(BWD_THREADS, nextPow2(T));
  return {
    variableNames: ['qkv', 'ctx', 'dctx'],
    outputShape: [N * T, 3 * g * dh],
    shaderKey: shaderKey('Bwd', dims, threads),
    dispatchLayout: { x: [0, 1] },
    dispatch: [1, g, N],
    workgroupSize: [threads, 1, 1],
    uniforms: 'scale : f32,',
    getUserCode: () => `
      ${constants(dims, threads)}

      var<workgroup> rowMax : array<f32, ATT_T>;
      var<workgroup> rowInvSum : array<f32, ATT_T>;
      var<workgroup> rowD : array<f32, ATT_T>;

      fn logit(qb : i32, kb : i32) -> f32 {
        var x = 0.0;
        for (var e = 0; e < ATT_DH; e++) {
          x += (f32(qkv[qb + e]) * uniforms.scale) * f32(qkv[kb + e]);
        }
        return x;
      }

      fn rowStats(head : i32, ohead : i32, t : i32) {
        let qb = head + t * ATT_ROW;
        var m = -3.402823e+38f;
        var l = 0.0;
        for (var s = 0; s < ATT_T; s++) {
          let x = logit(qb, head + s * ATT_ROW + ATT_DH);
          if (x > m) {
            l = l * exp(m - x) + 1.0;
            m = x;
          } else {
            l += exp(x - m);
          }
        }
        let ob = ohead + t * ATT_OROW;
        var d = 0.0;
        for (var e = 0; e < ATT_DH; e++) {
          d += f32(dctx[ob + e]) * f32(ctx[ob + e]);
        }
        rowMax[t] = m;
        rowInvSum[t] = 1.0 / l;
        rowD[t] = d;
      }

      fn queryRow(head : i32, ohead : i32, t : i32) {
        let qb = head + t * ATT_ROW;
        let ob = ohead + t * ATT_OROW;
        var dq : array<f32, ATT_DH>;
        let m = rowMax[t];
        let invL = rowInvSum[t];
        let d = rowD[t];
        for (var s = 0; s < ATT_T; s++) {
          let kb = head + s * ATT_ROW + ATT_DH;
          let vb = kb + ATT_DH;
          let p = exp(logit(qb, kb) - m) * invL;
          var dp = 0.0;
          for (var e = 0; e < ATT_DH; e++) {
            dp += f32(dctx[ob + e]) * f32(qkv[vb + e]);
          }
          let ds = p * (dp - d);
          for (var e = 0; e < ATT_DH; e++) {
            dq[e] += ds * f32(qkv[kb + e]);
          }
        }
        for (var e = 0; e < ATT_DH; e++) {
          setOutputAtIndex(qb + e, dq[e] * uniforms.scale);
        }
      }

      fn keyRow(head : i32, ohead : i32, s : i32) {
        let kb = head + s * ATT_ROW + ATT_DH;
        let vb = kb + ATT_DH;
        var dk : array<f32, ATT_DH>;
        var dv : array<f32, ATT_DH>;
        for (var t = 0; t < ATT_T; t++) {
          let qb = head + t * ATT_ROW;
          let ob = ohead + t * ATT_OROW;
          let p = exp(logit(qb, kb) - rowMax[t]) * rowInvSum[t];
          var dp = 0.0;
          for (var e = 0; e < ATT_DH; e++) {
            dp += f32(dctx[ob + e]) * f32(qkv[vb + e]);
          }
          let ds = p * (dp - rowD[t]);
          for (var e = 0; e < ATT_DH; e++) {
            dk[e] += ds * f32(qkv[qb + e]);
            dv[e] += p * f32(dctx[ob + e]);
          }
        }
        for (var e = 0; e < ATT_DH; e++) {
          setOutputAtIndex(kb + e, dk[e] * uniforms.scale);
          setOutputAtIndex(vb + e, dv[e]);
        }
      }

      fn main(index : i32) {
        let n = i32(workgroupId.z);
        let j = i32(workgroupId.y);
        let tid = i32(localId.x);
        let head = n * ATT_T * ATT_ROW + j * 3 * ATT_DH;
        let ohead = n * ATT_T * ATT_OROW + j * ATT_DH;
        for (var t = tid; t < ATT_T; t += ATT_THREADS) {
          rowStats(head, ohead, t);
        }
        workgroupBarrier();
        for (var t = tid; t < ATT_T; t += ATT_THREADS) {
          queryRow(head, ohead, t);
        }
        for (var s = tid; s < ATT_T; s += ATT_THREADS) {
          keyRow(head, ohead, s);
        }
      }`,
  };
}

registerWebGPUKernel(ATTENTION, ({ inputs, backend, attrs }) => {
  const dims = dimsOf(attrs);
  const { N, T, g, dh } = dims;
  const [rows, cols] = (inputs.qkv as tf.TensorInfo).shape;
  // The composed path's reshape throws on a mismatch; the kernel would read past its rows.
  if (rows !== N * T || cols !== 3 * g * dh) {
    throw new Error(
      `${ATTENTION}: qkv [${rows}, ${cols}] is not [N·T, 3·g·d_h] for ${JSON.stringify(dims)}`,
    );
  }
  return runProgram(
    backend as tf.KernelBackend,
    forwardProgram(dims),
    [inputs.qkv as tf.TensorInfo],
    [scaleUniform(dims.dh)],
  );
});

registerWebGPUKernel(ATTENTION_GRAD, ({ inputs, backend, attrs }) => {
  const dims = dimsOf(attrs);
  const { qkv, ctx, dctx } = inputs as {
    qkv: tf.TensorInfo;
    ctx: tf.TensorInfo;
    dctx: tf.TensorInfo;
  };
  return runProgram(
    backend as tf.KernelBackend,
    backwardProgram(dims),
    [qkv, ctx, dctx],
    [scaleUniform(dims.dh)],
  );
});

registerFusedGradient({
  kernelName: ATTENTION,
  inputsToSave: ['qkv'],
  outputsToSave: [true],
  gradFunc: (dy, saved, attrs) => {
    const [qkv, ctx] = saved as [tf.Tensor2D, tf.Tensor2D];
    return {
      qkv: () =>
        runFused<tf.Tensor2D>(ATTENTION_GRAD, { qkv, ctx, dctx: dy as tf.Tensor2D }, attrs),
    };
  },
});
