import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { generateToy2d } from '../../data/toy2d';
import type { MlpFeature, MlpOptions } from './model';
import { MLP_FEATURES, Mlp, expandFeatures } from './model';
import type { SpectrumInput } from '../../kernel';
import { kernelInput, moduleSpectra, spectrum } from '../../kernel';
import type { MlpProbe } from './kernel';
import {
  TooManyOutputsError,
  fastNeuronKernels,
  makeMlpProbe,
  neuronSpectrumInput,
  sampleMlpProbe,
  stepNeuronKernels,
} from './kernel';
import { oracleNeuronKernels } from './oracle';
import { createRng } from '../../rng';
import { testRng } from '../../testing/fake-rng';
import { expectKernelsMatch } from '../../testing/kernels';
import { expectGroupedGradients } from '../../testing/training';
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

/**
 * The spectra from `auto` matrices (q × q Ĝᵀ Ĝ where q = R'·(fanIn + 1) < n, zero-padded)
 * against those of the n × n kernels: the same nonzero eigenvalues in exact arithmetic; in
 * float32 both matrices are sums of O(n·q) products, so λmax agrees to ~1e-6 relative and every
 * eigenvalue to ~1e-6·λmax (the n − q padded zeros against the kernel's rounding-level ones):
 * 1e-5 leaves a margin, while a wrong Ĝ (a dropped projection, a transposed product) moves λmax
 * by O(1).
 */
const SPECTRUM_TOL = 1e-5;

function expectSameSpectra(auto: SpectrumInput, kernels: Float32Array, n: number): void {
  const a = moduleSpectra(auto, n);
  const k = moduleSpectra(kernelInput(kernels, n), n);
  a.lambdaMax.forEach((l, m) => {
    const ref = k.lambdaMax[m]!;
    expect(Math.abs(l - ref), `λmax ${m}`).toBeLessThanOrEqual(SPECTRUM_TOL * Math.abs(ref));
    for (let i = 0; i < n; i++) {
      const d = Math.abs(a.spectra[m * n + i]! - k.spectra[m * n + i]!);
      expect(d, `eigenvalue ${i} of ${m}`).toBeLessThanOrEqual(SPECTRUM_TOL * Math.abs(ref));
    }
    expect(Math.abs(a.effRank[m]! - k.effRank[m]!)).toBeLessThan(1e-3);
  });
}

describe('spectra from the smaller q × q matrices', () => {
  it('equal the n × n kernels’ spectra, and are used exactly where q = R′·(fanIn + 1) < n', async () => {
    // Layer 0: fanIn 2 (q = 3 loss, 6 trace); layer 1: fanIn 5 (q = 6 loss, 12 trace); n = 8.
    const model = new Mlp({ classes: 2, hidden: [5, 4], activation: 'tanh' }, testRng(9));
    randomise(model, 900);
    const n = 8;
    for (const kernel of ['trace', 'loss'] as const) {
      const before = tf.memory().numTensors;
      const probe = randomProbe(n, model.size.features, 2, kernel, 21);
      const auto = await neuronSpectrumInput(model, probe);
      const q = kernel === 'loss' ? [3, 6] : [6, 12];
      expect(auto.sides).toEqual([
        ...Array<number>(5).fill(q[0]!),
        ...Array<number>(4).fill(q[1]! < n ? q[1]! : n),
      ]);
      expectSameSpectra(auto, await fastNeuronKernels(model, probe), n);
      expect(tf.memory().numTensors).toBe(before);
    }
    model.dispose();
  });
});

/**
 * The 'step' kernel is the loss kernel of the batch's first n samples from the training step's
 * own pass: against the oracle on those n samples (TOL as above); its spectra from q × q
 * matrices as above; and its gradients the plain step's — bit for bit with every neuron updated
 * (the same operations), ≤ 1e-5 of the largest entry with split layers (per-group matmuls).
 */
describe('the step kernel (from the training step) vs the oracle, and its gradients', () => {
  for (const c of configs) {
    it(c.name, async () => {
      const before = tf.memory().numTensors;
      const model = new Mlp(c.opts, testRng(5));
      randomise(model, 500);
      const n = c.n;
      const B = n + 3;
      const batch = randomProbe(B, model.size.features, model.size.classes, 'loss', 31);
      const F = model.size.features.length;
      const x = tf.tensor2d(batch.x, [B, F]);
      const y = tf.tensor1d(batch.y, 'int32');
      const all = model.modules.map(() => true);
      model.setGroups(all);
      const ref = tf.variableGrads(() => model.loss(x, y), model.allVariables());

      const first = makeMlpProbe(
        batch.x.slice(0, n * F),
        batch.y.slice(0, n),
        model.size.classes,
        'loss',
      );
      const oracle = oracleNeuronKernels(model, first);
      const step = await stepNeuronKernels(model, x, y, n, 'kernel');
      expect(step.spectrum.sides).toEqual(model.modules.map(() => n));
      const { maxRel } = compare(step.spectrum.data, oracle, model.modules.length, n);
      expect(maxRel).toBeLessThan(TOL);
      expect(step.loss.dataSync()[0]).toBe(ref.value.dataSync()[0]);
      const auto = await stepNeuronKernels(model, x, y, n);
      expect(auto.spectrum.sides).toEqual(model.modules.map((info) => Math.min(n, info.params)));
      expectSameSpectra(auto.spectrum, step.spectrum.data, n);

      const vars = model.allVariables();
      const got = tf.tidy(() => step.gradients(vars).map((g) => tf.keep(g)));
      vars.forEach((v, i) => {
        expect(got[i]!.shape, v.name).toEqual(v.shape);
        expect(Array.from(got[i]!.dataSync()), v.name).toEqual(
          Array.from(ref.grads[v.name]!.dataSync()),
        );
      });
      tf.dispose(got);

      const on = model.modules.map((_, m) => m % 3 !== 1);
      expectGroupedGradients(model, on, () => model.loss(x, y), auto.gradients);

      for (const p of [step, auto]) {
        p.loss.dispose();
        p.dispose();
      }
      tf.dispose([x, y, ref.value, Object.values(ref.grads)]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
});
