import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { BertSize } from './model';
import { TinyBert } from './model';
import { fastBertKernels, stepBertKernels } from './kernel';
import type { MlmTensors } from '../transformer/mlm-task';
import { executedMatmuls } from '../../testing/kernels';
import { activeVariables, expectStepGradients } from '../../testing/training';
import { bertStepEvaluationFlops, bertStepLedger } from './flops';
import { makeProbe, probeTensors, disposeProbeTensors } from '../transformer/kernel';
import { spectrum } from '../../kernel';
import { oracleBertKernels } from './oracle';
import { testRng } from '../../testing/fake-rng';
import { randomBatch } from '../../testing/mlm-batch';
import { WorstErrors, expectKernelsMatch, lambdaMaxError } from '../../testing/kernels';
import { randomiseVariables } from '../../testing/weights';
import type { ModuleSelection } from '../transformer/selection';
import { HEADS_ONLY } from '../transformer/selection';
import { maskCount } from '../../data/mlm';
import { sampleLosses } from '../model';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/**
 * Fast path vs brute force on the cpu backend in float32. Both sum O(P·T) products in float32
 * before the Gram, with P ≈ 10³ parameters per head or FFN block; the embeddings' fast Gram sums
 * (n·T)² token-pair products of the same size instead of forming the gradients, and the oracle
 * takes float32 gradients into float64 dot products. Float32 rounding (ε ≈ 6e-8) accumulated
 * over such sums stays near 1e-6 relative, so 1e-4 (docs/method.md, "The oracle and
 * tolerances") leaves a wide margin while a wrong term (a missing bias, a transposed head block,
 * a token row credited to the wrong id, the tied decoder's or the position rows' share left
 * out) changes entries by O(1) relative.
 */
const TOL = 1e-4;

/** Probes: n sequences with M masked tokens, and the kernel with R projections. */
const EXACT = { M: 1, n: 4, kernel: 'trace', R: 4 } as const;
const PROJECTED = { M: 2, n: 5, kernel: 'trace', R: 3 } as const;
const LOSS = { M: 2, n: 4, kernel: 'loss', R: 4 } as const;

/** TinyBert sizes. */
const WIDE: BertSize = { layers: 2, heads: 4, dModel: 8, dFF: 12, seqLen: 5, vocab: 20 };
const ONE_LAYER: BertSize = { layers: 1, heads: 3, dModel: 6, dFF: 8, seqLen: 7, vocab: 24 };

/** The model (TinyBert's size and which parts are modules) and the probe. */
const cases: {
  name: string;
  size: BertSize;
  selection?: ModuleSelection;
  M: number;
  n: number;
  kernel: 'trace' | 'loss';
  R: number;
}[] = [
  {
    name: 'exact trace kernel, k = 16',
    size: { layers: 2, heads: 2, dModel: 8, dFF: 16, seqLen: 6, vocab: 16 },
    ...EXACT,
  },
  { name: 'random projections, k = 40, R = 3', size: WIDE, ...PROJECTED },
  { name: 'loss-gradient kernel', size: ONE_LAYER, ...LOSS },
  {
    name: 'FFN blocks and embeddings too, exact trace kernel',
    size: { layers: 2, heads: 2, dModel: 8, dFF: 12, seqLen: 6, vocab: 16 },
    selection: { ffn: true, embed: true },
    ...EXACT,
  },
  {
    name: 'FFN blocks and embeddings too, random projections (k = 40, R = 3)',
    size: WIDE,
    selection: { ffn: true, embed: true },
    ...PROJECTED,
  },
  {
    name: 'embeddings only besides the heads, loss-gradient kernel',
    size: ONE_LAYER,
    selection: { ffn: false, embed: true },
    ...LOSS,
  },
];

/** A model with larger weights (Normal(0, 0.3)) than the 0.02 init, so every term matters. */
function randomModel(
  size: BertSize,
  seed: number,
  initSeed: number,
  selection: ModuleSelection = HEADS_ONLY,
): TinyBert {
  const model = new TinyBert(size, testRng(seed), selection);
  randomiseVariables(model.allVariables(), 0.3, initSeed);
  return model;
}

describe('fast mNTK vs brute-force oracle', () => {
  /** The worst relative entry error per module kind, reported with the overall worst. */
  const errors = new WorstErrors();
  for (const c of cases) {
    it(c.name, async () => {
      const before = tf.memory().numTensors;
      const { seqLen: T, vocab: V, layers: L, heads: H } = c.size;
      const model = randomModel(c.size, 7, 100, c.selection);
      const kinds = model.modules.map((m) => m.kind);
      const ffn = c.selection?.ffn ? L : 0;
      const embed = c.selection?.embed ? 1 : 0;
      // Heads first (as without the other kinds), then the FFN blocks, then the embeddings.
      expect(kinds).toEqual([
        ...Array<string>(L * H).fill('head'),
        ...Array<string>(ffn).fill('ffn'),
        ...Array<string>(embed).fill('embed'),
      ]);
      const batch = randomBatch(c.n, T, c.M, V, 11);
      const probe = makeProbe(batch, V, c.kernel, c.R, testRng(5));
      const pt = probeTensors(probe, V);
      const fast = await fastBertKernels(model, probe, pt);
      const oracle = oracleBertKernels(model, probe, V);
      expect(fast.length).toBe(oracle.length);
      const match = expectKernelsMatch(fast, oracle, model.modules.length, c.n, TOL);
      errors.add(match.worst, { fast, oracle, n: c.n }, [...kinds.keys()], (m) => kinds[m]!);
      disposeProbeTensors(pt);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }
  errors.itReports(TOL, console.log);

  it('the projected estimate is unbiased: many projections approach the exact kernel', async () => {
    const c = { T: 5, V: 18, M: 1, n: 3 };
    const size = { layers: 1, heads: 2, dModel: 8, dFF: 8, seqLen: c.T, vocab: c.V };
    const model = randomModel(size, 3, 200);
    const batch = randomBatch(c.n, c.T, c.M, c.V, 2);
    // Exact: one-hot rows over all k = 18 outputs, built by hand with weight 1/k.
    const k = c.M * c.V;
    const exactP = new Float32Array(k * k);
    for (let i = 0; i < k; i++) exactP[i * k + i] = 1;
    const exact = oracleBertKernels(
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
    const est = await fastBertKernels(model, probe, pt);
    disposeProbeTensors(pt);
    // Monte-Carlo error of R = 400 Rademacher projections: relative std ≈ √(2/R) ≈ 0.07 on
    // diagonal entries; 0.25 is > 3σ and still catches a wrong scale (factor k = 18).
    for (let m = 0; m < model.modules.length; m++)
      expect(lambdaMaxError(est, exact, c.n, m)).toBeLessThan(0.25);
    model.dispose();
  });
});

/** A training batch's tensors (as `MlmTask.batchTensors` builds them). */
function batchTensors(b: ReturnType<typeof randomBatch>, V: number): MlmTensors {
  return tf.tidy(() => [
    tf.tensor2d(b.inputs, [b.batch, b.seqLen], 'int32'),
    tf.tensor1d(b.positions, 'int32'),
    tf.oneHot(tf.tensor1d(b.targets, 'int32'), V).toFloat(),
  ]) as MlmTensors;
}

/**
 * The 'step' kernel is the loss kernel of the batch's first n sequences, taken from the training
 * step's own pass: against the oracle run on those n sequences with the loss kernel (TOL as
 * above: the same float32 sums, times B² exactly); its loss is the plain step's, and its
 * gradients are the plain step's within 1e-5 of the largest entry (another summation order:
 * the scatter and decoder terms added in another order, the split layout's per-group matmuls).
 */
describe('the step kernel (from the training step) vs the oracle, and its gradients', () => {
  const errors = new WorstErrors();
  const stepCases: { name: string; size: BertSize; selection: ModuleSelection }[] = [
    { name: 'heads only', size: WIDE, selection: HEADS_ONLY },
    { name: 'heads, FFN blocks and embeddings', size: WIDE, selection: { ffn: true, embed: true } },
    {
      name: 'heads, FFN blocks and embeddings, shared parts with them',
      size: WIDE,
      selection: { ffn: true, embed: true, shared: true },
    },
    {
      name: 'heads and embeddings, one layer',
      size: ONE_LAYER,
      selection: { ffn: false, embed: true },
    },
  ];
  for (const c of stepCases) {
    it(`batch 6, n = 4, M = 2: ${c.name}`, async () => {
      const before = tf.memory().numTensors;
      const { seqLen: T, vocab: V } = c.size;
      const B = 6;
      const n = 4;
      const M = 2;
      const model = randomModel(c.size, 7, 300, c.selection);
      const kinds = model.modules.map((m) => m.kind);
      const batch = randomBatch(B, T, M, V, 23);
      const t = batchTensors(batch, V);
      const loss = () => {
        const [tokens, positions, oneHot] = t;
        return sampleLosses(model.forward({ tokens, positions }), oneHot).mean() as tf.Scalar;
      };
      model.setGroups(model.modules.map(() => true));
      const ref = tf.variableGrads(loss, model.allVariables());

      const step = await stepBertKernels(model, t, n);
      const first = {
        ...batch,
        inputs: batch.inputs.slice(0, n * T),
        positions: batch.positions.slice(0, n * M),
        targets: batch.targets.slice(0, n * M),
        batch: n,
      };
      const oracle = oracleBertKernels(model, makeProbe(first, V, 'loss', 1, testRng(1)), V);
      const match = expectKernelsMatch(step.kernels, oracle, model.modules.length, n, TOL);
      errors.add(
        match.worst,
        { fast: step.kernels, oracle, n },
        [...kinds.keys()],
        (m) => kinds[m]!,
      );
      expect(step.spectrum.sides).toEqual(model.modules.map(() => n));
      // Its loss and gradients are the plain step's, with every module updated and some frozen.
      expectStepGradients(model, step, ref, loss);

      step.loss.dispose();
      step.dispose();
      tf.dispose([t, ref.value, Object.values(ref.grads)]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('executes the counted matmuls, and no weight gradient of a module left frozen', async () => {
    const size = WIDE;
    const selection = { ffn: true, embed: false };
    const model = randomModel(size, 7, 300, selection);
    const B = 6;
    const n = 4;
    // M = maskCount(T) masked tokens per sequence, as the FLOP counts assume.
    const M = maskCount(size.seqLen);
    const t = batchTensors(randomBatch(B, size.seqLen, M, size.vocab, 29), size.vocab);
    // Module order: L0.H0–3, L1.H0–3, L0.F, L1.F.
    const on = [true, false, false, true, false, false, false, false, false, true];
    const info = await tf.profile(async () => {
      const step = await stepBertKernels(model, t, n);
      tf.tidy(() => step.gradients(activeVariables(model, on)));
      step.loss.dispose();
      step.dispose();
    });
    // The pass: the all-updated step's forward and input gradients (every layer's heads one
    // group); the weight gradients of the backbone and of the updated modules only, as the
    // charged step's; the per-sample products and the Grams' matmuls (the formula's Gram adds
    // the weight B², n² per module).
    const all = bertStepLedger(
      size,
      B,
      model.modules.map(() => true),
      selection,
    ).ledger;
    const charged = bertStepLedger(size, B, on, selection).ledger;
    const f = bertStepEvaluationFlops(size, B, n, on, selection);
    const grams = f.gram - model.modules.length * n * n;
    expect(executedMatmuls(info.kernels).matmulFlops).toBe(
      all.forward.matmul + all.inputGrad.matmul + charged.weightGrad.matmul + f.perSample + grams,
    );
    // The frozen FFN block's W1 gradient [d, dFF] is not computed; the updated one's is.
    const w1 = executedMatmuls(info.kernels).matmuls.filter((k) => {
      const o = k.outputShapes[0]!;
      return o.length === 2 && o[0] === size.dModel && o[1] === size.dFF;
    });
    expect(w1.length).toBe(1);
    tf.dispose(t);
    model.dispose();
  });
  errors.itReports(TOL, (line) => console.log(`step kernel: ${line}`));
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
