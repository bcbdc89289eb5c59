import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateToy2d } from '../../data/toy2d';
import type { MlpFeature, MlpOptions } from './model';
import { MLP_FEATURES, Mlp, expandFeatures } from './model';
import { spectrum } from '../../kernel';
import type { MlpProbe } from './kernel';
import { TooManyOutputsError, fastNeuronKernels, makeMlpProbe, sampleMlpProbe } from './kernel';
import { oracleNeuronKernels } from './oracle';
import { createRng } from '../../rng';
import { testRng } from '../../testing/fake-rng';
import { expectKernelsMatch } from '../../testing/kernels';
import { randomiseVariables } from '../../testing/weights';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Fast path vs brute force on the cpu backend in float32. Both compute each Gram entry from
 * O(10²) float32 products (a neuron has ≤ 8 parameters, the backward passes through ≤ 3 small
 * layers); float32 rounding (ε ≈ 6e-8) accumulated over such chains stays near 1e-6 relative
 * to the module's largest entry, so 1e-4 (docs/method.md, "The oracle and tolerances") leaves a
 * wide margin, while a wrong term (a dropped bias, neurons out of order, a wrong weight 1/k)
 * changes entries by O(1) relative.
 */
const TOL = 1e-4;

/** n random points in [−1, 1]², expanded, with random labels. */
function randomProbe(
  n: number,
  features: readonly MlpFeature[],
  classes: number,
  kernel: 'trace' | 'loss',
  seed: number,
): MlpProbe {
  const rng = testRng(seed);
  const pts = Float32Array.from({ length: 2 * n }, () => 2 * rng.next() - 1);
  const y = Int32Array.from({ length: n }, () => rng.int(classes));
  return makeMlpProbe(expandFeatures(pts, features), y, classes, kernel);
}

/** Larger weights and non-zero biases than the Glorot init, so every term of the kernel matters. */
function randomise(model: Mlp, seed: number): void {
  randomiseVariables(model.allVariables(), 0.7, seed);
}

/**
 * Per module: max |fast − oracle| / max |oracle| and λmax within TOL; modules whose oracle is 0
 * must be 0 in fast (a ReLU neuron dead on every probe point: both paths give exact zeros).
 */
function compare(
  fast: Float32Array,
  oracle: Float64Array,
  mods: number,
  n: number,
): { maxRel: number; nonzero: number } {
  const { worst, nonzero } = expectKernelsMatch(fast, oracle, mods, n, TOL, () => {});
  return { maxRel: worst, nonzero: nonzero.length };
}

const configs: { name: string; opts: MlpOptions; n: number }[] = [
  {
    name: '2 features, [5, 4], tanh, 2 classes',
    opts: { classes: 2, hidden: [5, 4], activation: 'tanh' },
    n: 6,
  },
  {
    name: '7 features, [6, 3, 5], relu, 4 classes',
    opts: { classes: 4, hidden: [6, 3, 5], activation: 'relu', features: MLP_FEATURES },
    n: 8,
  },
  {
    name: '3 features, [7], tanh, 3 classes',
    opts: { classes: 3, hidden: [7], activation: 'tanh', features: ['x', 'y', 'xy'] },
    n: 4,
  },
];

describe('fast neuron mNTK vs brute-force oracle', () => {
  for (const c of configs) {
    for (const kernel of ['trace', 'loss'] as const) {
      it(`${c.name}, ${kernel} kernel`, async () => {
        const before = tf.memory().numTensors;
        const model = new Mlp(c.opts, testRng(7));
        randomise(model, 100);
        const probe = randomProbe(c.n, model.size.features, model.size.classes, kernel, 11);
        const fast = await fastNeuronKernels(model, probe);
        const oracle = oracleNeuronKernels(model, probe);
        const mods = model.modules.length;
        expect(fast.length).toBe(mods * c.n * c.n);
        expect(oracle.length).toBe(fast.length);
        const { maxRel, nonzero } = compare(fast, oracle, mods, c.n);
        expect(maxRel).toBeLessThan(TOL);
        // ReLU neurons dead on all probe points have Θ = 0 (checked exact above); most are alive.
        expect(nonzero).toBeGreaterThanOrEqual(Math.ceil(0.5 * mods));
        model.dispose();
        expect(tf.memory().numTensors).toBe(before);
      });
    }
  }

  it('ignores the training grouping: half-frozen layers give the same kernels', async () => {
    const model = new Mlp({ classes: 3, hidden: [6, 5], activation: 'tanh' }, testRng(3));
    randomise(model, 300);
    const probe = randomProbe(5, model.size.features, 3, 'trace', 4);
    const all = await fastNeuronKernels(model, probe);
    const before = tf.memory().numTensors;
    model.setGroups(model.modules.map((_, m) => m % 3 === 1));
    const grouped = await fastNeuronKernels(model, probe);
    // Per layer (both have updated and frozen neurons): the frozen cache and two index tensors.
    expect(tf.memory().numTensors).toBe(before + 6);
    expect(Array.from(grouped)).toEqual(Array.from(all));
    model.dispose();
  });

  it('a probe drawn from a toy set: Θ is symmetric PSD and the weight is 1/k', async () => {
    const data = generateToy2d('blobs', { count: 120, noise: 0.05, testRatio: 0.2 }, createRng(5));
    const model = new Mlp({ classes: data.classes }, createRng(5).fork('init'));
    const probe = sampleMlpProbe(data.train, 16, model.size, 'trace', createRng(5).fork('probe'));
    expect(probe.n).toBe(16);
    expect(probe.numProjections).toBe(3);
    expect(probe.weight).toBeCloseTo(1 / 3, 12);
    // Distinct training points.
    const keys = new Set<string>();
    for (let i = 0; i < 16; i++) keys.add(`${probe.x[2 * i]},${probe.x[2 * i + 1]}`);
    expect(keys.size).toBe(16);
    const fast = await fastNeuronKernels(model, probe);
    const n = 16;
    for (let m = 0; m < model.modules.length; m++) {
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < i; j++) {
          const a = fast[m * n * n + i * n + j]!;
          const b = fast[m * n * n + j * n + i]!;
          expect(Math.abs(a - b)).toBeLessThanOrEqual(
            1e-6 * Math.max(1e-12, Math.abs(fast[m * n * n + i * n + i]!)),
          );
        }
      }
      const sp = spectrum(fast, n, m * n * n);
      expect(sp.lambdaMax).toBeGreaterThan(0);
      expect(sp.values[n - 1]!).toBeGreaterThan(-1e-5 * sp.lambdaMax);
    }
    model.dispose();
  });

  it('refuses more classes than the exact kernel handles', () => {
    expect(() => makeMlpProbe(new Float32Array(2), new Int32Array(1), 17, 'trace')).toThrow(
      TooManyOutputsError,
    );
  });
});
