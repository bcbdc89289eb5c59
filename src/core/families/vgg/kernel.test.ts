import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { ImageBatch } from '../../data/fashion';
import {
  disposeImageProbeTensors,
  fastFilterGroupKernels,
  imageProbeTensors,
  makeImageProbe,
  patchesWithOnes,
  stepFilterGroupKernels,
} from './kernel';
import { oracleFilterGroupKernels } from './oracle';
import type { ConvImpl, VggSize } from './model';
import { DEFAULT_VGG, SmallVgg } from './model';
import { testRng } from '../../testing/fake-rng';
import {
  executedMatmuls,
  expectKernelsMatch,
  gradError,
  itReportsWorstError,
} from '../../testing/kernels';
import { vggStepEvaluationFlops } from './flops';
import { activeVariables, expectGroupedGradients } from '../../testing/training';
import { biasesOnly, randomiseVariables } from '../../testing/weights';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

function randomImages(n: number, size: VggSize, seed: number): ImageBatch {
  const rng = testRng(seed);
  const px = size.inputSize ** 2 * size.inChannels;
  return {
    x: Float32Array.from({ length: n * px }, () => rng.normal()),
    y: Int32Array.from({ length: n }, () => rng.int(size.classes)),
    batch: n,
  };
}

/** A model whose biases are non-zero too, so every term of the forward pass matters. */
function tinyModel(size: VggSize, seed: number, convImpl: ConvImpl): SmallVgg {
  const model = new SmallVgg(size, testRng(seed), { convImpl });
  randomiseVariables(model.allVariables(), biasesOnly(0.2), 300);
  return model;
}

/**
 * Fast path vs brute force, cpu backend, fp32. The fast path's per-sample gradient sums
 * S²·(9·cin + 1) float32 products per entry (≤ 64·73 here) and the Gram ≤ 10³ more; relative
 * rounding of such sums stays ~1e-6 (measured max ≈ 1e-7 over all cases), so 1e-4
 * (docs/method.md, "The oracle and tolerances") is a wide margin, while a real mistake — a
 * shifted patch, the bias row left out, two groups swapped, a missing projection — changes
 * entries by O(1) relative. The error is taken relative to the module's largest |Θ| entry, since
 * off-diagonal entries can be near zero.
 */
const TOL = 1e-4;

/**
 * The lab's VGG (10 classes, one input channel) on 8×8 images: channels [4, 8] × 2 convs, g = 4.
 */
const SMALL: VggSize = {
  ...DEFAULT_VGG,
  channels: [4, 8],
  convsPerStage: 2,
  groupSize: 4,
  inputSize: 8,
};

const cases: {
  name: string;
  size: VggSize;
  n: number;
  kernel: 'trace' | 'loss';
  R: number;
  impl: ConvImpl;
}[] = [
  {
    name: 'exact trace kernel (k = 10), 8×8, channels [4, 8], g = 2',
    size: { ...SMALL, convsPerStage: 1, groupSize: 2 },
    n: 4,
    kernel: 'trace',
    R: 4,
    impl: 'conv2d',
  },
  {
    name: 'loss kernel, 8×8, channels [4, 8] × 2 convs, g = 4',
    size: SMALL,
    n: 5,
    kernel: 'loss',
    R: 4,
    impl: 'im2col',
  },
  {
    name: 'random projections (k = 20 > 16, R = 3), odd side 7, 2 input channels',
    size: {
      channels: [4, 4],
      convsPerStage: 1,
      groupSize: 2,
      classes: 20,
      inputSize: 7,
      inChannels: 2,
    },
    n: 3,
    kernel: 'trace',
    R: 3,
    impl: 'auto',
  },
];

let worst = 0;

describe('fast filter-group mNTK vs brute-force oracle', () => {
  for (const c of cases) {
    it(`${c.name} (${c.impl})`, async () => {
      const before = tf.memory().numTensors;
      const model = tinyModel(c.size, 7, c.impl);
      const probe = makeImageProbe(
        randomImages(c.n, c.size, 11),
        c.size.classes,
        c.kernel,
        c.R,
        testRng(5),
      );
      expect(probe.exact).toBe(c.size.classes <= 16 || c.kernel === 'loss');
      const pt = imageProbeTensors(probe, model);
      const fast = await fastFilterGroupKernels(model, probe, pt);
      const oracle = oracleFilterGroupKernels(model, probe);
      expect(fast.length).toBe(model.modules.length * c.n * c.n);
      expect(oracle.length).toBe(fast.length);
      const match = expectKernelsMatch(fast, oracle, model.modules.length, c.n, TOL);
      worst = Math.max(worst, match.worst);
      // Training-time regrouping (a frozen part with cached, permuted filters) does not change
      // what is probed: the probe always runs the canonical all-groups layout.
      model.setGroups(model.modules.map((_, m) => m % 3 === 1));
      const again = await fastFilterGroupKernels(model, probe);
      expect(Array.from(again)).toEqual(Array.from(fast));
      disposeImageProbeTensors(pt);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  itReportsWorstError(() => worst, TOL, console.log);
});

/**
 * The 'step' kernel is the loss kernel of the batch's first n images, taken from the training
 * step's own pass: against the oracle run on those n images with the loss kernel (TOL as
 * above: the same float32 sums, times B² exactly); and its gradients are the plain step's —
 * bit for bit with every group updated on the im2col layout (the same operations), ≤ 1e-5 of the
 * largest entry otherwise (another summation order: conv2d's Conv2DBackpropFilter, or the
 * split layout's per-part matmuls).
 */
describe('the step kernel (from the training step) vs the oracle, and its gradients', () => {
  const size = SMALL;
  let stepWorst = 0;
  for (const impl of ['im2col', 'conv2d'] as const) {
    it(`batch 7, n = 4 (${impl})`, async () => {
      const before = tf.memory().numTensors;
      const model = tinyModel(size, 13, impl);
      const B = 7;
      const n = 4;
      const images = randomImages(B, size, 17);
      const x = tf.tensor4d(images.x, [B, 8, 8, 1]);
      const y = tf.tensor1d(images.y, 'int32');
      const all = model.modules.map(() => true);
      model.setGroups(all);
      const ref = tf.variableGrads(() => model.loss(x, y), model.allVariables());

      const step = await stepFilterGroupKernels(model, x, y, n);
      const first = {
        x: images.x.slice(0, n * 64),
        y: images.y.slice(0, n),
        batch: n,
      };
      const oracle = oracleFilterGroupKernels(
        model,
        makeImageProbe(first, size.classes, 'loss', 1, testRng(1)),
      );
      const match = expectKernelsMatch(step.kernels, oracle, model.modules.length, n, TOL);
      stepWorst = Math.max(stepWorst, match.worst);
      expect(step.spectrum.sides).toEqual(model.modules.map(() => n));
      expect(step.loss.dataSync()[0]).toBe(ref.value.dataSync()[0]);

      const vars = model.allVariables();
      const got = tf.tidy(() => step.gradients(vars).map((g) => tf.keep(g)));
      vars.forEach((v, i) => {
        const a = got[i]!.dataSync();
        const b = ref.grads[v.name]!.dataSync();
        expect(got[i]!.shape, v.name).toEqual(v.shape);
        if (impl === 'im2col') expect(Array.from(a), v.name).toEqual(Array.from(b));
        else expect(gradError(b, a), v.name).toBeLessThan(1e-5);
      });
      tf.dispose(got);

      // Some groups frozen: the gradients of the updated ones, as the grouped step has them.
      const on = model.modules.map((_, m) => m % 3 !== 1);
      expectGroupedGradients(model, on, () => model.loss(x, y), step.gradients);

      step.loss.dispose();
      step.dispose();
      tf.dispose([x, y, ref.value, Object.values(ref.grads)]);
      model.dispose();
      expect(tf.memory().numTensors).toBe(before);
    });
  }

  it('executes the counted matmuls, and no filter gradient of a group left frozen', async () => {
    const model = tinyModel(size, 13, 'im2col');
    const B = 7;
    const n = 4;
    const images = randomImages(B, size, 19);
    const x = tf.tensor4d(images.x, [B, 8, 8, 1]);
    const y = tf.tensor1d(images.y, 'int32');
    const on = [false, true, true, false, false, true];
    const info = await tf.profile(async () => {
      const step = await stepFilterGroupKernels(model, x, y, n);
      tf.tidy(() => step.gradients(activeVariables(model, on)));
      step.loss.dispose();
      step.dispose();
    });
    const f = vggStepEvaluationFlops(size, B, n, on);
    const { features: F, convs } = model.layout;
    // The classifier forward, input and weight gradients; the per-sample products and the
    // Grams' matmuls (the formula's Gram adds the weight B², n² per module); the filter
    // gradients Pᵀdz of the updated groups only, 2·B·S²·9·cin·g each.
    let filters = 0;
    let m = 0;
    for (const c of convs) {
      for (let q = 0; q < c.groups; q++) {
        if (on[m++]) filters += 2 * B * c.side ** 2 * 9 * c.cin * size.groupSize;
      }
    }
    const grams = f.gram - model.modules.length * n * n;
    expect(executedMatmuls(info.kernels).matmulFlops).toBe(
      3 * 2 * B * F * size.classes + f.perSample + grams + filters,
    );
    tf.dispose([x, y]);
    model.dispose();
  });

  itReportsWorstError(
    () => stepWorst,
    TOL,
    (line) => console.log(`step kernel: ${line}`),
  );
});

describe('patchesWithOnes', () => {
  it('lays out the zero-padded 3×3 neighbourhood of every pixel, then a 1', () => {
    // One 3×3 image with 2 channels: value = 10·(h·3 + w) + ch.
    const x = tf.tensor4d(
      Array.from({ length: 18 }, (_, i) => 10 * Math.floor(i / 2) + (i % 2)),
      [1, 3, 3, 2],
    );
    const P = patchesWithOnes(x);
    expect(P.shape).toEqual([1, 9, 19]);
    const rows = P.arraySync()[0]!;
    // Centre pixel (1, 1): neighbour (dy, dx) is pixel (dy, dx), columns (3·dy + dx)·2 + ch.
    expect(rows[4]).toEqual([
      ...Array.from({ length: 9 }, (_, t) => [10 * t, 10 * t + 1]).flat(),
      1,
    ]);
    // Corner (0, 0): only (dy, dx) ∈ {1, 2}² fall inside; the rest is the zero padding.
    const corner = rows[0]!;
    expect(corner.slice(0, 8)).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(corner.slice(8, 10)).toEqual([0, 1]); // (1, 1) → pixel (0, 0)
    expect(corner.slice(16, 18)).toEqual([40, 41]); // (2, 2) → pixel (1, 1)
    expect(corner[18]).toBe(1);
    x.dispose();
    P.dispose();
  });
});
