import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

type ProfiledKernel = Awaited<ReturnType<typeof tf.profile>>['kernels'][number];

/**
 * The matmul kernels a profiled run executed (BatchMatMul and _FusedMatMul) and their FLOPs,
 * 2·batch·m·n·K each: the output is [batch, m, n] (batch 1 for rank 2) and the first input
 * holds m·K values per batch entry, whatever its transpose.
 */
export function executedMatmuls(kernels: ProfiledKernel[]): {
  matmuls: ProfiledKernel[];
  matmulFlops: number;
} {
  const matmuls = kernels.filter((k) => k.name === 'BatchMatMul' || k.name === '_FusedMatMul');
  const matmulFlops = matmuls.reduce((acc, k) => {
    const out = k.outputShapes[0]!;
    const a = k.inputShapes[0]!;
    const [bt, m, n] = [out.length === 3 ? out[0]! : 1, out[out.length - 2]!, out[out.length - 1]!];
    const K = (a[a.length - 2]! * a[a.length - 1]!) / m;
    return acc + 2 * bt * m * n * K;
  }, 0);
  return { matmuls, matmulFlops };
}

type Grads = { value: tf.Scalar; grads: tf.NamedTensorMap };

/**
 * Asserts that a grouped (pruned) step computes the reference's loss (≤ 1e-6) and, for every
 * variable in `active`, its gradient (max abs difference ≤ 1e-5 × max(max |reference|, 1): fp32
 * sums reordered by the grouping). Disposes `g`; the reference stays for the next pattern.
 */
export function expectSameGrads(g: Grads, ref: Grads, active: tf.Variable[]): void {
  expect(Math.abs(g.value.dataSync()[0]! - ref.value.dataSync()[0]!)).toBeLessThan(1e-6);
  for (const v of active) {
    const dv = tf.tidy(() => g.grads[v.name]!.sub(ref.grads[v.name]!).abs().max().dataSync()[0]!);
    const sv = tf.tidy(() => ref.grads[v.name]!.abs().max().dataSync()[0]!);
    expect(dv, v.name).toBeLessThanOrEqual(1e-5 * Math.max(sv, 1));
  }
  disposeGrads(g);
}

export function disposeGrads(g: Grads): void {
  g.value.dispose();
  for (const t of Object.values(g.grads)) t.dispose();
}
