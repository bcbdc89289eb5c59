/**
 * A guard around a wrong result in TF.js 4.22's WebGPU matmul (pinned in package.json).
 *
 * For a matmul with one batch, few output tiles and an inner dimension of 2000 or more, the
 * WebGPU backend picks `MatMulSplitKProgram` (the inner dimension split across workgroups, summed
 * by atomics). That program's vec4 path ignores `transposeB`: A·Bᵀ with B [N, K] is computed as if
 * B were [K, N], so every value is wrong (max error 2.4e2 on [40, 2000]·[40, 2000]ᵀ, both Dawn
 * adapters; A·B without the transpose is right). The lab's mNTK Gram matrices are exactly such
 * products — the embeddings' decoder term δ·δᵀ over the vocabulary, a wide VGG's fully connected
 * groups — so their λmax came out 14–42 % low on WebGPU.
 *
 * The guard re-registers `BatchMatMul` and `_FusedMatMul` on `webgpu` with the same kernel
 * functions, run with `WEBGPU_MATMUL_PROGRAM_TYPE` set to the packed program for just the calls
 * that could reach that path (B transposed, one batch, inner dimension ≥ 2000): the packed
 * program reads a transposed B correctly. Every other call runs exactly as before.
 */
import * as tf from '@tensorflow/tfjs';

/** TF.js's gate for the split-K program: `innerShapeB >= 2000` (BatchMatMul_impl.ts). */
const SPLIT_K_MIN_INNER = 2000;
/** `MatMulProgramType.MatMulPackedProgram` (webgpu_util.ts); the backend does not export it. */
const MATMUL_PACKED = 3;
const FLAG = 'WEBGPU_MATMUL_PROGRAM_TYPE';
const KERNELS = ['BatchMatMul', '_FusedMatMul'] as const;

const guarded = new Set<string>();

const batchOf = (t: tf.TensorInfo) => t.shape.slice(0, -2).reduce((p, d) => p * d, 1);

/**
 * Whether a matmul of `a` and `b` with B transposed could take TF.js 4.22's split-K path: one
 * batch (the program's own assertion) and B's last dimension, the inner one, ≥ 2000.
 */
function couldSplitKTransposed(a: tf.TensorInfo, b: tf.TensorInfo): boolean {
  const inner = b.shape[b.shape.length - 1] ?? 0;
  return Math.max(batchOf(a), batchOf(b)) === 1 && inner >= SPLIT_K_MIN_INNER;
}

/** Installs the guard on the `webgpu` kernels (once; later calls do nothing). */
export function guardWebGPUMatMul(): void {
  for (const name of KERNELS) {
    if (guarded.has(name)) continue;
    const config = tf.getKernel(name, 'webgpu');
    if (!config) continue;
    const inner = config.kernelFunc;
    tf.unregisterKernel(name, 'webgpu');
    tf.registerKernel({
      ...config,
      kernelFunc: (args) => {
        const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo };
        const env = tf.env();
        const chosen = env.getNumber(FLAG);
        // A program type set by hand (≥ 0) is left alone, as TF.js would.
        if (!args.attrs?.transposeB || !couldSplitKTransposed(a, b) || chosen >= 0) {
          return inner(args);
        }
        env.set(FLAG, MATMUL_PACKED);
        try {
          return inner(args);
        } finally {
          env.set(FLAG, chosen);
        }
      },
    });
    guarded.add(name);
  }
}
