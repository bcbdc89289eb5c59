/**
 * Test helpers for the fused kernels: the real WebGPU backend in Node (Dawn on SwiftShader, as
 * webgpu.test.ts), and running one function on WebGPU (fused) and on cpu (composed) with the
 * same inputs, for oracle comparisons of values and gradients.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { initBackend } from '../core/backend';
import type { BackendInfo } from '../core/backend';
import { countDispatches } from '../core/fused/program';

const ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

/** Initialises the webgpu backend through Dawn (SwiftShader); call in beforeAll. */
export async function setupDawn(): Promise<BackendInfo> {
  if (!existsSync(ICD)) throw new Error(`${ICD} is missing: install Debian's chromium`);
  process.env.VK_ICD_FILENAMES ??= ICD;
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]);
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  return initBackend('webgpu', { gpu });
}

/** Normwise relative error max|a − b| / max|b| (b the reference; 0 when both are zero). */
export function relError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`lengths ${a.length} vs ${b.length}`);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(b[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/**
 * `fn` on `inputs` (plain arrays with shapes) on a backend: its output and the gradients of
 * Σ output·w (w fixed pseudo-random weights, so every output element matters) with respect to
 * every input listed in `wrt`, read back.
 */
export async function valueAndGrads(
  backend: 'webgpu' | 'cpu',
  fn: (...xs: tf.Tensor[]) => tf.Tensor,
  inputs: { values: Float32Array | Int32Array; shape: number[]; dtype?: 'float32' | 'int32' }[],
  wrt: number[],
): Promise<{ value: Float32Array; grads: Float32Array[] }> {
  await tf.setBackend(backend);
  const xs = inputs.map((x) => tf.tensor(x.values, x.shape, x.dtype ?? 'float32'));
  const probe = fn(...xs);
  const w = tf.tensor(
    Float32Array.from({ length: probe.size }, (_, i) => Math.sin(1.7 * i + 0.3)),
    probe.shape,
  );
  const value = (await probe.data()) as Float32Array;
  probe.dispose();
  const g = tf.grads((...args: tf.Tensor[]) => {
    const all = xs.slice();
    wrt.forEach((k, j) => (all[k] = args[j]!));
    return fn(...all)
      .mul(w)
      .sum();
  });
  const grads = g(wrt.map((k) => xs[k]!));
  const out = await Promise.all(grads.map(async (t) => (await t.data()) as Float32Array));
  tf.dispose([...xs, w, ...grads]);
  return { value: Float32Array.from(value), grads: out.map((x) => Float32Array.from(x)) };
}

/**
 * Real WebGPU dispatches of `fn` on `inputs`: its forward alone (`wrt` null), or forward and
 * the gradients of the inputs listed in `wrt` against a given dy of `dyShape` (so only the op's
 * own dispatches count, not a ones seed). Asserts that nothing it made outlives it.
 */
export async function opDispatches(
  fn: (...xs: tf.Tensor[]) => tf.Tensor,
  values: { values: Float32Array; shape: number[] }[],
  wrt: number[] | null,
  dyShape: number[],
): Promise<number> {
  const before = tf.memory().numTensors;
  const inputs = values.map((x) => tf.tensor(x.values, x.shape));
  const dy = tf.randomNormal(dyShape);
  const { dispatches } = await countDispatches(async () => {
    const outs =
      wrt === null
        ? [tf.tidy(() => fn(...inputs))]
        : tf.grads((...args: tf.Tensor[]) => {
            const all = inputs.slice();
            wrt.forEach((k, j) => (all[k] = args[j]!));
            return fn(...all);
          })(
            wrt.map((k) => inputs[k]!),
            dy,
          );
    await Promise.all(outs.map((t) => t.data()));
    tf.dispose(outs);
    return null;
  });
  tf.dispose([...inputs, dy]);
  // Nothing the forward or the gradients made outlives them (clones of shared gradients too).
  if (tf.memory().numTensors !== before) {
    throw new Error(`${tf.memory().numTensors - before} tensors leaked`);
  }
  return dispatches!;
}

/**
 * Elementwise, the largest |C − C*| / bound of C [M, N] against the float64 product C*[i, j] =
 * Σ_k a(i, k)·b(j, k) (+ bias(j)) of the same float32 inputs. Any order of summing K float32
 * products stays within γ_K·Σ_k |a(i, k)·b(j, k)| (γ_K = K·u / (1 − K·u), u = 2⁻²⁴); a bias add
 * rounds once more, u·(|C*| + Σ|terms|). So the result must be ≤ 1. `a` and `b` read the factors
 * in whatever layout (A·Bᵀ: rows; Aᵀ·B: columns).
 */
export function boundRatio(
  c: ArrayLike<number>,
  [M, N, K]: [number, number, number],
  a: (i: number, k: number) => number,
  b: (j: number, k: number) => number,
  bias?: (j: number) => number,
): number {
  const u = 2 ** -24;
  const gamma = (K * u) / (1 - K * u);
  let worst = 0;
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let exact = 0;
      let abs = 0;
      for (let k = 0; k < K; k++) {
        const p = a(i, k) * b(j, k);
        exact += p;
        abs += Math.abs(p);
      }
      let bound = gamma * abs;
      if (bias) {
        exact += bias(j);
        bound += u * (Math.abs(exact) + abs);
      }
      worst = Math.max(worst, Math.abs(c[i * N + j]! - exact) / bound);
    }
  }
  return worst;
}
