import * as tf from '@tensorflow/tfjs';
import { expect, it } from 'vitest';
import { spectrum } from '../kernel';

export type ProfiledKernel = Awaited<ReturnType<typeof tf.profile>>['kernels'][number];

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

/** Whether some kernel's output ends in an [r, c] matrix (any leading batch dimensions). */
export function hasOutput(ks: { outputShapes: number[][] }[], r: number, c: number): boolean {
  return ks.some((k) => {
    const o = k.outputShapes[0]!;
    return o[o.length - 2] === r && o[o.length - 1] === c;
  });
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

/**
 * The largest |reference| entry and the largest |x − reference| over entries from … to − 1
 * (all by default): the relative error the fast-vs-oracle tests bound is maxErr / maxAbs.
 */
function maxErrors(
  ref: ArrayLike<number>,
  x: ArrayLike<number>,
  from = 0,
  to = ref.length,
): { maxAbs: number; maxErr: number } {
  let maxAbs = 0;
  let maxErr = 0;
  for (let e = from; e < to; e++) {
    const o = ref[e]!;
    maxAbs = Math.max(maxAbs, Math.abs(o));
    maxErr = Math.max(maxErr, Math.abs(x[e]! - o));
  }
  return { maxAbs, maxErr };
}

/** max |x − reference| / max |reference|; 0 when both are all zeros (a dead ReLU). */
export function gradError(ref: ArrayLike<number>, x: ArrayLike<number>): number {
  const { maxAbs, maxErr } = maxErrors(ref, x);
  return maxErr === 0 ? 0 : maxErr / maxAbs;
}

/** max |x − reference| / max |reference| over all entries. */
export function relativeError(ref: ArrayLike<number>, x: ArrayLike<number>): number {
  const { maxAbs, maxErr } = maxErrors(ref, x);
  return maxErr / maxAbs;
}

/** |λmax(fast) − λmax(oracle)| / λmax(oracle) of module m's n × n kernel. */
export function lambdaMaxError(
  fast: ArrayLike<number>,
  oracle: ArrayLike<number>,
  n: number,
  m: number,
): number {
  const lf = spectrum(fast, n, m * n * n).lambdaMax;
  const lo = spectrum(oracle, n, m * n * n).lambdaMax;
  return Math.abs(lf - lo) / lo;
}

/**
 * Compares a fast kernel with its oracle module by module ([modules, n, n] row-major each).
 * A module whose oracle is not all zeros must agree to `tol`: max |fast − oracle| relative to
 * its largest |oracle| entry, and λmax relative. A module whose oracle is all zeros fails,
 * unless `onZero` is given: then `onZero(m)` runs and fast must be exactly zero there too.
 * Returns the worst relative entry error and the modules with a non-zero oracle.
 */
export function expectKernelsMatch(
  fast: ArrayLike<number>,
  oracle: ArrayLike<number>,
  modules: number,
  n: number,
  tol: number,
  onZero?: (m: number) => void,
): { worst: number; nonzero: number[] } {
  let worst = 0;
  const nonzero: number[] = [];
  for (let m = 0; m < modules; m++) {
    const { maxAbs, maxErr } = maxErrors(oracle, fast, m * n * n, (m + 1) * n * n);
    if (onZero && maxAbs === 0) {
      onZero(m);
      expect(maxErr).toBe(0);
      continue;
    }
    expect(maxAbs).toBeGreaterThan(0);
    nonzero.push(m);
    expect(maxErr / maxAbs).toBeLessThan(tol);
    worst = Math.max(worst, maxErr / maxAbs);
    expect(lambdaMaxError(fast, oracle, n, m)).toBeLessThan(tol);
  }
  return { worst, nonzero };
}

/**
 * Adds the test that reports a suite's worst relative fast-vs-oracle error (`worst()`, read when
 * it runs, after the cases before it) through `log` (the test's console.log: src/core is
 * compiled without a console) and checks it against `tol`.
 */
export function itReportsWorstError(
  worst: () => number,
  tol: number,
  log: (line: string) => void,
): void {
  it('reports the worst relative error', () => {
    log(
      `fast vs oracle, worst relative error over all modules and cases: ${worst().toExponential(2)}`,
    );
    expect(worst()).toBeLessThan(tol);
  });
}

/**
 * The worst relative fast-vs-oracle errors over a suite's cases: overall (`expectKernelsMatch`'s
 * worst) and, per module kind, max |fast − oracle| / max |oracle| of a module's entries.
 */
export class WorstErrors {
  private overall = 0;
  private readonly byKind = new Map<string, number>();

  /**
   * Records a case: its overall worst, and the errors of modules `modules` of its kernels
   * ([modules, n, n] each), module m of kind `kindOf(m)`.
   */
  add(
    worst: number,
    kernels: { fast: ArrayLike<number>; oracle: ArrayLike<number>; n: number },
    modules: readonly number[],
    kindOf: (m: number) => string,
  ): void {
    this.overall = Math.max(this.overall, worst);
    const { fast, oracle, n } = kernels;
    for (const m of modules) {
      const { maxAbs, maxErr } = maxErrors(oracle, fast, m * n * n, (m + 1) * n * n);
      const kind = kindOf(m);
      this.byKind.set(kind, Math.max(this.byKind.get(kind) ?? 0, maxErr / maxAbs));
    }
  }

  /** Adds the test that reports them through `log` and checks the overall worst against `tol`. */
  itReports(tol: number, log: (line: string) => void): void {
    const kinds = () => [...this.byKind].map(([k, e]) => `${k} ${e.toExponential(2)}`).join(', ');
    itReportsWorstError(
      () => this.overall,
      tol,
      (line) => log(`${line} (${kinds()})`),
    );
  }
}
