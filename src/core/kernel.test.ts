import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { kernelInput, moduleSpectra, projectionStdErr } from './kernel';
import { TinyBert } from './families/bert/model';
import { fastBertKernels } from './families/bert/kernel';
import type { KernelTerms } from './families/transformer/kernel';
import { disposeProbeTensors, makeProbe, probeTensors } from './families/transformer/kernel';
import { testRng } from './testing/fake-rng';
import { randomBatch } from './testing/mlm-batch';
import { randomiseVariables } from './testing/weights';
import { DEFAULT_CONFIG } from './config';
import { validateRunFile } from './runfile';
import { Session } from './session';
import { loadCorpusFromDisk } from '../node/deps';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe('the standard error of the projected λmax', () => {
  it('is the jackknife over projections: a hand-computed case', () => {
    // Θ_r = c_r·u uᵀ with |u| = 1, c = (1, 2, 3, 6): λmax is linear in the terms, so the
    // jackknife is the plain standard error of the mean of R·c_r = (4, 8, 12, 24): sd/√4.
    const n = 2;
    const u = [0.6, 0.8];
    const c = [1, 2, 3, 6];
    const terms = new Float32Array(c.length * n * n);
    c.forEach((cr, r) => {
      for (let i = 0; i < n; i++)
        for (let j = 0; j < n; j++) terms[r * n * n + i * n + j] = cr * u[i]! * u[j]!;
    });
    const sd = Math.sqrt(((4 - 12) ** 2 + (8 - 12) ** 2 + (12 - 12) ** 2 + (24 - 12) ** 2) / 3);
    const total = Float32Array.from([0, 1, 2, 3], (k) => 12 * u[k >> 1]! * u[k & 1]!);
    expect(projectionStdErr(terms, 4, n, 0, total)).toBeCloseTo(sd / 2, 5);
    // Identical terms: no spread.
    const same = new Float32Array(4 * n * n).fill(0.25);
    expect(projectionStdErr(same, 4, n, 0, new Float32Array(4).fill(1))).toBeCloseTo(0, 6);
  });

  it('moduleSpectra gives one per module only with ≥ 2 projections, and its λmax is unchanged', () => {
    const n = 2;
    const terms = Float32Array.from([1, 0, 0, 0, 3, 0, 0, 1, 2, 1, 1, 2, 1, 0, 0, 1]);
    // Module 0: terms 0 and 1; module 1: terms 2 and 3 (R = 2).
    const data = Float32Array.from([4, 0, 0, 1, 3, 1, 1, 3]);
    const plain = moduleSpectra(kernelInput(data, n), n);
    const withSe = moduleSpectra(
      { ...kernelInput(data, n), projections: { count: 2, data: terms } },
      n,
    );
    expect(plain.stdErr).toBeUndefined();
    expect(Array.from(withSe.lambdaMax)).toEqual(Array.from(plain.lambdaMax));
    // Module 0: without term 0 λ = 2·3, without term 1 λ = 2·1 → SE = √(½·(2² + 2²)) = 2.
    expect(withSe.stdErr![0]).toBeCloseTo(2, 5);
    // Module 1: without term 0 λ = 2·1, without term 1 λ = 2·3 → SE = 2.
    expect(withSe.stdErr![1]).toBeCloseTo(2, 5);
    const one = moduleSpectra({ ...kernelInput(data, n), projections: { count: 1, data } }, n);
    expect(one.stdErr).toBeUndefined();
  });

  /**
   * Statistical check against what it estimates: over 40 independent draws of R = 4 Rademacher
   * projections of the same tiny BERT's kernels, the empirical standard deviation of λmax per
   * module vs the root-mean-square of the reported standard errors. With 40 draws the empirical sd is
   * itself uncertain by ≈ 1/√(2·39) ≈ 11 %, and the first-order (fixed-eigenvector) estimate is
   * biased by the eigenvector's own spread; a factor of 2 either way catches a wrong √R or a
   * wrong scale (R·vᵀΘ_r v vs vᵀΘ_r v is a factor 4 at R = 4).
   */
  it('matches the spread of λmax over independent projection draws within a factor of 2', async () => {
    const size = { layers: 1, heads: 2, dModel: 8, dFF: 8, seqLen: 5, vocab: 18 };
    const model = new TinyBert(size, testRng(3));
    randomiseVariables(model.allVariables(), 0.3, 200);
    const batch = randomBatch(4, 5, 1, 18, 2);
    const draws = 40;
    const lambdas: number[][] = [];
    const errors: number[][] = [];
    for (let k = 0; k < draws; k++) {
      const probe = makeProbe(batch, 18, 'trace', 4, testRng(1000 + k));
      const pt = probeTensors(probe, 18);
      const extras: KernelTerms = { withTerms: true };
      const data = await fastBertKernels(model, probe, pt, extras);
      disposeProbeTensors(pt);
      const s = moduleSpectra(
        { ...kernelInput(data, 4), projections: { count: 4, data: extras.terms! } },
        4,
      );
      lambdas.push(Array.from(s.lambdaMax));
      errors.push(Array.from(s.stdErr!));
    }
    for (let m = 0; m < 2; m++) {
      const l = lambdas.map((x) => x[m]!);
      const mean = l.reduce((a, b) => a + b, 0) / draws;
      const sd = Math.sqrt(l.reduce((a, b) => a + (b - mean) ** 2, 0) / (draws - 1));
      // The root-mean-square SE: SE² is the (nearly unbiased) variance estimate.
      const se = Math.sqrt(errors.reduce((a, x) => a + x[m]! ** 2, 0) / draws);
      console.log(`module ${m}: RMS SE / sd over ${draws} draws = ${(se / sd).toFixed(2)}`);
      expect(se / sd).toBeGreaterThan(0.5);
      expect(se / sd).toBeLessThan(2);
    }
    model.dispose();
  });
});

describe('evaluations carry the standard error where the kernel is projected', () => {
  const tiny = {
    layers: 1,
    heads: 2,
    dModel: 16,
    dFF: 32,
    seqLen: 16,
    vocab: 200,
    batch: 8,
    probe: 4,
    valBatches: 1,
  };
  it('BERT with the trace kernel: one per module, in the run file too; exact kernels: none', async () => {
    const trace = new Session({ ...DEFAULT_CONFIG, ...tiny }, loadCorpusFromDisk());
    const step = new Session({ ...DEFAULT_CONFIG, ...tiny, kernel: 'step' }, loadCorpusFromDisk());
    for (const s of [trace, step]) (await s.advance()).loss.dispose();
    const se = trace.history[0]!.stdErr!;
    expect(se.length).toBe(trace.modules.length);
    se.forEach((x, m) => {
      expect(x).toBeGreaterThan(0);
      expect(x).toBeLessThan(trace.history[0]!.lambdaMax[m]!);
    });
    expect(step.history[0]!.stdErr).toBeUndefined();
    const file = await trace.exportRun(
      { backend: 'cpu', adapter: '', isFallbackAdapter: false },
      { step: [], loss: [], flops: [], vanillaFlops: [] },
      { step: [], perplexity: [] },
    );
    expect(validateRunFile(JSON.parse(JSON.stringify(file))).evaluations[0]!.stdErr).toEqual(
      Array.from(se),
    );
    trace.dispose();
    step.dispose();
  });
});
