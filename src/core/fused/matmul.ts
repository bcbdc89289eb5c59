/**
 * Matrix products whose second factor is read by rows: A·Bᵀ (`matMulNT`), and x·W (`linear`),
 * whose input gradient dy·Wᵀ is one.
 *
 * TF.js 4.22's WebGPU matmul has vec4 shaders only when B is not transposed; A·Bᵀ takes its scalar
 * path, and every input gradient of x·W is A·Bᵀ (dx = dy·Wᵀ), as is the tied decoder's forward
 * (logits = tn·Eᵀ). On WebGPU (docs/method.md "Fused kernels") A·Bᵀ is instead one program of the
 * lab's: both factors are read as rows of vec4 along the shared dimension K, each thread
 * accumulating a 4 × 4 tile of C with dot products — no transpose, no workgroup memory, no
 * barrier. `linear` is x·W by TF.js's own matmul kernel, registered under a name of its own so its
 * gradient can use `matMulNT` for dx (and TF.js's matmul for dW, as before). Elsewhere, or when K
 * is not a multiple of 4, both are `tf.matMul` itself.
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

export const MATMUL_NT = 'MatMatMulNT';
export const LINEAR = 'MatLinear';
export const MATMUL_TN = 'MatMatMulTN';

/** Threads a workgroup of the A·Bᵀ program (each a 4 × 4 tile of the output). */
const NT_THREADS = 64;

/** A·Bᵀ for a [M, K] and b [N, K]: [M, N]. */
export function matMulNT(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.shape[1] !== b.shape[1]) {
    throw new RangeError(`matMulNT: a [${a.shape}] and b [${b.shape}] differ in columns`);
  }
  if (fusedActive() && ntFits(a, b)) {
    ensureRegistered();
    return runFused<tf.Tensor2D>(MATMUL_NT, { a, b });
  }
  return tf.matMul(a, b, false, true);
}

/** Aᵀ·B for a [R, M] and b [R, N]: [M, N] (a weight's gradient xᵀ·dy). */
export function matMulTN(a: tf.Tensor2D, b: tf.Tensor2D): tf.Tensor2D {
  if (a.shape[0] !== b.shape[0]) {
    throw new RangeError(`matMulTN: a [${a.shape}] and b [${b.shape}] differ in rows`);
  }
  if (fusedActive() && a.dtype === 'float32' && b.dtype === 'float32') {
    ensureRegistered();
    return runFused<tf.Tensor2D>(MATMUL_TN, { a, b });
  }
  return tf.matMul(a, b, true, false);
}

/** x·w for x [R, c] and w [c, n]: [R, n]; on WebGPU its dx is `matMulNT(dy, w)`. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D {
  if (fusedActive() && x.dtype === 'float32' && w.dtype === 'float32') {
    ensureRegistered();
    return runFused<tf.Tensor2D>(LINEAR, { x, w });
  }
  return tf.matMul(x, w);
}

/** The program reads rows as vec4: K a multiple of 4, float32 matrices. */
function ntFits(a: tf.Tensor2D, b: tf.Tensor2D): boolean {
  return a.shape[1] % 4 === 0 && a.dtype === 'float32' && b.dtype === 'float32';
}

/**
 * WGSL that writes the 4 × 4 tile `tile` (array<vec4<f32>, 4>) at rows m0.., columns n0.. of the
 * [M, N] output, the parts inside it only; both products end with it.
 */
function writeTile(tile: string): string {
  return `
        for (var i = 0; i < 4; i++) {
          let m = m0 + i;
          if (m < M) {
            for (var j = 0; j < 4; j++) {
              if (n0 + j < N) {
                setOutputAtIndex(m * N + n0 + j, ${tile}[i][j]);
              }
            }
          }
        }`;
}

/**
 * One thread per 4 × 4 tile of C = A·Bᵀ: rows m0..m0+3 of A and n0..n0+3 of B, K/4 vec4 of each
 * row, 16 dot products a step. Rows past the edge are read clamped to the last row (the values
 * are never written), so the loop has no branch.
 */
function ntProgram(M: number, N: number): WebGPUProgram {
  const tiles = Math.ceil(M / 4) * Math.ceil(N / 4);
  return {
    variableNames: ['A', 'B'],
    variableComponents: [4, 4],
    outputShape: [M, N],
    shaderKey: `matMatMulNT_${NT_THREADS}`,
    dispatchLayout: { x: [0, 1] },
    dispatch: workgroupGrid(Math.ceil(tiles / NT_THREADS)),
    workgroupSize: [NT_THREADS, 1, 1],
    uniforms: 'k4 : i32,',
    getUserCode: () => `
      fn main(index : i32) {
        let M = uniforms.outShape.x;
        let N = uniforms.outShape.y;
        let k4 = uniforms.k4;
        let tilesN = (N + 3) / 4;
        if (index >= tilesN * ((M + 3) / 4)) {
          return;
        }
        let m0 = (index / tilesN) * 4;
        let n0 = (index % tilesN) * 4;
        let last = vec4<i32>(M - 1);
        let lastN = vec4<i32>(N - 1);
        let ra = min(vec4<i32>(m0, m0 + 1, m0 + 2, m0 + 3), last) * k4;
        let rb = min(vec4<i32>(n0, n0 + 1, n0 + 2, n0 + 3), lastN) * k4;
        var acc : array<vec4<f32>, 4>;
        for (var k = 0; k < k4; k++) {
          let b0 = B[rb.x + k];
          let b1 = B[rb.y + k];
          let b2 = B[rb.z + k];
          let b3 = B[rb.w + k];
          for (var i = 0; i < 4; i++) {
            let a = A[ra[i] + k];
            acc[i] += vec4<f32>(dot(a, b0), dot(a, b1), dot(a, b2), dot(a, b3));
          }
        }
        ${writeTile('acc')}
      }`,
  };
}

/** Threads a workgroup of the Aᵀ·B program. */
const TN_THREADS = 64;
/** Lanes that split R for each tile of Aᵀ·B when C has few tiles (below `TN_SPLIT_BELOW`). */
const TN_LANES = 8;
const TN_SPLIT_BELOW = 2048;

/** The lanes per tile for an [M, N] output: R is split only when C alone gives few threads. */
function tnLanes(M: number, N: number): number {
  return Math.ceil(M / 4) * Math.ceil(N / 4) < TN_SPLIT_BELOW ? TN_LANES : 1;
}

/**
 * C = Aᵀ·B, [M, N] from a [R, M] and b [R, N]: a 4 × 4 tile of C per `lanes` threads, lane ℓ
 * summing the outer products of rows ℓ, ℓ + lanes, … of A's 4 columns and B's 4 columns. With
 * 8 lanes (a weight's gradient: few tiles, R = 512 rows) the partial tiles then go through
 * workgroup memory and lane 0 adds them in order; with 1 (many tiles, as the decoder's [V, d])
 * each thread owns its tile. Columns past the edge are read clamped (never written).
 */
function tnProgram(M: number, N: number): WebGPUProgram {
  const lanes = tnLanes(M, N);
  const tiles = Math.ceil(M / 4) * Math.ceil(N / 4);
  return {
    variableNames: ['A', 'B'],
    outputShape: [M, N],
    shaderKey: `matMatMulTN_${TN_THREADS}_${lanes}`,
    dispatchLayout: { x: [0, 1] },
    dispatch: workgroupGrid(Math.ceil((tiles * lanes) / TN_THREADS)),
    workgroupSize: [TN_THREADS, 1, 1],
    getUserCode: () => `
      ${lanes > 1 ? `var<workgroup> part : array<array<vec4<f32>, 4>, ${TN_THREADS}>;` : ''}
      fn main(index : i32) {
        let M = uniforms.outShape.x;
        let N = uniforms.outShape.y;
        let R = uniforms.aShape.x;
        let tilesN = (N + 3) / 4;
        let lane = index % ${lanes};
        let tile = index / ${lanes};
        let live = tile < tilesN * ((M + 3) / 4);
        let m0 = (tile / tilesN) * 4;
        let n0 = (tile % tilesN) * 4;
        let ca = min(vec4<i32>(m0, m0 + 1, m0 + 2, m0 + 3), vec4<i32>(M - 1));
        let cb = min(vec4<i32>(n0, n0 + 1, n0 + 2, n0 + 3), vec4<i32>(N - 1));
        var acc : array<vec4<f32>, 4>;
        if (live) {
          for (var r = lane; r < R; r += ${lanes}) {
            let ra = r * M;
            let rb = r * N;
            let b = vec4<f32>(f32(B[rb + cb.x]), f32(B[rb + cb.y]), f32(B[rb + cb.z]), f32(B[rb + cb.w]));
            for (var i = 0; i < 4; i++) {
              acc[i] += f32(A[ra + ca[i]]) * b;
            }
          }
        }
        ${
          lanes === 1
            ? `if (live) {${writeTile('acc')}
        }`
            : `let id = i32(localId.x);
        part[id] = acc;
        workgroupBarrier();
        if (live && lane == 0) {
          var sum = part[id];
          for (var l = 1; l < ${lanes}; l++) {
            let p = part[id + l];
            for (var i = 0; i < 4; i++) {
              sum[i] += p[i];
            }
          }${writeTile('sum')}
        }`
        }
      }`,
  };
}

let registered = false;

function ensureRegistered(): void {
  if (registered) return;
  registered = true;
  registerWebGPUKernel(MATMUL_NT, ({ inputs, backend }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const [M, K] = a.shape as [number, number];
    const [N] = b.shape as [number];
    return runProgram(backend, ntProgram(M, N), [a, b], [{ type: 'int32', data: [K / 4] }]);
  });
  // C = A·Bᵀ: dA = dC·B, dB = dCᵀ·A.
  registerFusedGradient({
    kernelName: MATMUL_NT,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor2D, tf.Tensor2D];
      const d = dy as tf.Tensor2D;
      return { a: () => tf.matMul(d, b), b: () => matMulTN(d, a) };
    },
  });
  registerWebGPUKernel(MATMUL_TN, ({ inputs, backend }) => {
    const { a, b } = inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
    const [, M] = a.shape as [number, number];
    const [, N] = b.shape as [number, number];
    return runProgram(backend, tnProgram(M, N), [a, b]);
  });
  // C = Aᵀ·B: dA = B·dCᵀ, dB = A·dC.
  registerFusedGradient({
    kernelName: MATMUL_TN,
    inputsToSave: ['a', 'b'],
    gradFunc: (dy, saved) => {
      const [a, b] = saved as [tf.Tensor2D, tf.Tensor2D];
      const d = dy as tf.Tensor2D;
      return { a: () => matMulNT(b, d), b: () => tf.matMul(a, d) };
    },
  });
  // TF.js's own matmul kernel, under this name (through the split-K guard, webgpu-matmul.ts).
  registerWebGPUKernel(LINEAR, (args) => {
    const batchMatMul = tf.getKernel('BatchMatMul', 'webgpu');
    if (!batchMatMul) throw new Error(`${LINEAR}: no BatchMatMul kernel on webgpu`);
    const { x, w } = args.inputs;
    return batchMatMul.kernelFunc({
      ...args,
      inputs: { a: x!, b: w! },
      attrs: { transposeA: false, transposeB: false },
    }) as tf.TensorInfo;
  });
  // y = x·W: dx = dy·Wᵀ (the lab's A·Bᵀ), dW = xᵀ·dy (TF.js's, as its BatchMatMul gradient).
  registerFusedGradient({
    kernelName: LINEAR,
    inputsToSave: ['x', 'w'],
    gradFunc: (dy, saved) => {
      const [x, w] = saved as [tf.Tensor2D, tf.Tensor2D];
      const d = dy as tf.Tensor2D;
      return { x: () => matMulNT(d, w), w: () => matMulTN(x, d) };
    },
  });
}
