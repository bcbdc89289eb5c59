import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { TinyBert } from './model';
import { fastHeadKernels } from './kernel';
import { makeProbe, probeTensors, disposeProbeTensors } from '../transformer/kernel';
import { spectrum } from '../../kernel';
import { oracleHeadKernels } from './oracle';
import { testRng } from '../../testing/fake-rng';
import { randomBatch } from '../../testing/mlm-batch';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Fast path vs brute force on the cpu backend in float32. Both sum O(P·T) products in float32
 * before the Gram, with P ≈ 10³ parameters per head; float32 rounding (ε ≈ 6e-8) accumulated
 * over such sums stays near 1e-6 relative, so 1e-4 (METHOD.md) leaves a wide margin while a
 * wrong term (a missing bias, a transposed head block) changes entries by O(1) relative.
 */
const TOL = 1e-4;

const cases = [
  {
    name: 'exact trace kernel, k = 16',
    layers: 2,
    heads: 2,
    d: 8,
    ff: 16,
    T: 6,
    V: 16,
    M: 1,
    n: 4,
    kernel: 'trace' as const,
    R: 4,
  },
  {
    name: 'random projections, k = 40, R = 3',
    layers: 2,
    heads: 4,
    d: 8,
    ff: 12,
    T: 5,
    V: 20,
    M: 2,
    n: 5,
    kernel: 'trace' as const,
    R: 3,
  },
  {
    name: 'loss-gradient kernel',
    layers: 1,
    heads: 3,
    d: 6,
    ff: 8,
    T: 7,
    V: 24,
    M: 2,
    n: 4,
    kernel: 'loss' as const,
    R: 4,
  },
];

describe('fast mNTK vs brute-force oracle', () => {
  for (const c of cases) {
    it(c.name, async () => {
      const before = tf.memory().numTensors;
      const model = new TinyBert(
        { layers: c.layers, heads: c.heads, dModel: c.d, dFF: c.ff, seqLen: c.T, vocab: c.V },
        testRng(7),
      );
      // Larger weights than the 0.02 init so every term of the kernel matters.
      model
        .allVariables()
        .forEach((v, i) =>
          tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', 100 + i))),
        );
      const batch = randomBatch(c.n, c.T, c.M, c.V, 11);
      const probe = makeProbe(batch, c.V, c.kernel, c.R, testRng(5));
      const pt = probeTensors(probe, c.V);
      const fast = await fastHeadKernels(model, probe, pt);
      const oracle = oracleHeadKernels(model, probe, c.V);
      expect(fast.length).toBe(oracle.length);
      const n = c.n;
      for (let m = 0; m < model.modules.length; m++) {
        let maxAbs = 0;
        let maxErr = 0;
        for (let e = 0; e < n * n; e++) {
          const o = oracle[m * n * n + e]!;
          maxAbs = Math.max(maxAbs, Math.abs(o));
          maxErr = Math.max(maxErr, Math.abs(fast[m * n * n + e]! - o));
        }
        expect(maxAbs).toBeGreaterThan(0);
        expect(maxErr / maxAbs).toBeLessThan(TOL);
        const lf = spectrum(fast, n, m * n * n).lambdaMax;
        const lo = spectrum(oracle, n, m * n * n).lambdaMax;
        expect(Math.abs(lf - lo) / lo).toBeLessThan(TOL);
      }
      disposeProbeTensors(pt);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('the projected estimate is unbiased: many projections approach the exact kernel', async () => {
    const c = { layers: 1, heads: 2, d: 8, ff: 8, T: 5, V: 18, M: 1, n: 3 };
    const model = new TinyBert(
      { layers: c.layers, heads: c.heads, dModel: c.d, dFF: c.ff, seqLen: c.T, vocab: c.V },
      testRng(3),
    );
    model
      .allVariables()
      .forEach((v, i) =>
        tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, 0.3, 'float32', 200 + i))),
      );
    const batch = randomBatch(c.n, c.T, c.M, c.V, 2);
    // Exact: one-hot rows over all k = 18 outputs, built by hand with weight 1/k.
    const k = c.M * c.V;
    const exactP = new Float32Array(k * k);
    for (let i = 0; i < k; i++) exactP[i * k + i] = 1;
    const exact = oracleHeadKernels(
      model,
      {
        batch,
        kernel: 'trace',
        outputs: k,
        numProjections: k,
        exact: true,
        projections: exactP,
        weight: 1 / k,
      },
      c.V,
    );
    const probe = makeProbe(batch, c.V, 'trace', 400, testRng(1));
    const pt = probeTensors(probe, c.V);
    const est = await fastHeadKernels(model, probe, pt);
    disposeProbeTensors(pt);
    // Monte-Carlo error of R = 400 Rademacher projections: relative std ≈ √(2/R) ≈ 0.07 on
    // diagonal entries; 0.25 is > 3σ and still catches a wrong scale (factor k = 18).
    for (let m = 0; m < model.modules.length; m++) {
      const le = spectrum(exact, c.n, m * c.n * c.n).lambdaMax;
      const lr = spectrum(est, c.n, m * c.n * c.n).lambdaMax;
      expect(Math.abs(lr - le) / le).toBeLessThan(0.25);
    }
    model.dispose();
  });
});

describe('spectrum', () => {
  it('matches a matrix with known eigenvalues', () => {
    // Q diag(5, 2, 0.5) Qᵀ with a rotation Q.
    const c = Math.cos(0.7);
    const s = Math.sin(0.7);
    const Q = [
      [c, -s, 0],
      [s, c, 0],
      [0, 0, 1],
    ];
    const D = [5, 2, 0.5];
    const A = new Float64Array(9);
    for (let i = 0; i < 3; i++)
      for (let j = 0; j < 3; j++)
        for (let k = 0; k < 3; k++) A[i * 3 + j] = A[i * 3 + j]! + Q[i]![k]! * D[k]! * Q[j]![k]!;
    const sp = spectrum(A, 3);
    expect(sp.lambdaMax).toBeCloseTo(5, 10);
    expect(Array.from(sp.values)).toEqual([
      expect.closeTo(5, 10),
      expect.closeTo(2, 10),
      expect.closeTo(0.5, 10),
    ]);
    const p = D.map((x) => x / 7.5);
    expect(sp.effRank).toBeCloseTo(Math.exp(-p.reduce((a, x) => a + x * Math.log(x), 0)), 10);
  });
});
