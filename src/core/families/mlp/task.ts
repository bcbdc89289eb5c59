import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../../config';
import type { Toy2dData, Toy2dName } from '../../data/toy2d';
import { generateToy2d } from '../../data/toy2d';
import type { StepFlops } from '../../flops';
import { mlpEvaluationFlops, mlpStepEvaluationFlops, mlpStepFlops } from './flops';
import type { MlpFeature } from './model';
import { expandFeatures, Mlp } from './model';
import type { MlpProbe } from './kernel';
import {
  fastNeuronKernels,
  neuronSpectrumInput,
  sampleMlpProbe,
  stepNeuronKernels,
} from './kernel';
import type { Rng } from '../../rng';
import type { RunFile } from '../../runfile';
import type { SpectrumInput } from '../../kernel';
import type { ModelView, StepProbe, Task, TaskBatch } from '../types';
import { TaskBase, probeKernel } from '../task-base';
import { ACCURACY } from '../family';

/** Half-width of the decision-boundary map (the toy sets live in about [−1, 1]²). */
const EXTENT = 1.2;
const RESOLUTION = 48;

/** Parses a comma-separated list of widths (validated by the config schema). */
export const parseWidths = (s: string): number[] => s.split(',').map(Number);

/** The classroom MLP on a 2D toy set; metric: test accuracy. */
export class MlpToyTask extends TaskBase<Mlp> implements Task {
  readonly model: Mlp;
  readonly metric = ACCURACY;
  readonly data: Toy2dData;
  readonly features: MlpFeature[];
  readonly probe: MlpProbe;
  private readonly trainX: Float32Array;
  private readonly testX: tf.Tensor2D;
  private readonly testY: Int32Array;
  private readonly config: ExperimentConfig;

  constructor(config: ExperimentConfig, rng: Rng) {
    super();
    this.config = config;
    this.data = generateToy2d(
      config.data as Toy2dName,
      { count: config.points, noise: config.noise, testRatio: config.testRatio },
      rng.fork('data'),
    );
    this.features = config.features.split(',') as MlpFeature[];
    this.model = new Mlp(
      {
        classes: this.data.classes,
        features: this.features,
        hidden: parseWidths(config.hidden),
        activation: config.activation,
      },
      rng.fork('init'),
    );
    this.trainX = expandFeatures(this.data.train.x, this.features);
    const F = this.features.length;
    this.testX = tf.tensor2d(expandFeatures(this.data.test.x, this.features), [
      this.data.test.y.length,
      F,
    ]);
    this.testY = this.data.test.y;
    this.probe = sampleMlpProbe(
      this.data.train,
      config.probe,
      { features: this.features, classes: this.data.classes },
      probeKernel(config.kernel),
      rng.fork('probe'),
    );
  }

  get probeSize(): number {
    return this.probe.n;
  }

  /** A batch of `config.batch` training points drawn with replacement. */
  sampleBatch(rng: Rng): TaskBatch {
    const F = this.features.length;
    const N = this.data.train.y.length;
    const B = this.batchSize();
    const x = new Float32Array(B * F);
    const y = new Int32Array(B);
    for (let i = 0; i < B; i++) {
      const j = rng.int(N);
      x.set(this.trainX.subarray(j * F, (j + 1) * F), i * F);
      y[i] = this.data.train.y[j]!;
    }
    return { tensors: [tf.tensor2d(x, [B, F]), tf.tensor1d(y, 'int32')] };
  }

  loss(batch: TaskBatch): tf.Scalar {
    const [x, y] = batch.tensors as [tf.Tensor2D, tf.Tensor1D];
    return this.model.loss(x, y);
  }

  kernels(): Promise<Float32Array> {
    return fastNeuronKernels(this.model, this.probe);
  }

  /** The probe kernels' spectra from q × q matrices where q = R'·(fanIn + 1) < n. */
  spectrumInput(): Promise<SpectrumInput> {
    return neuronSpectrumInput(this.model, this.probe);
  }

  /** The training step on `batch` with the 'step' kernel of its first n samples. */
  stepKernels(batch: TaskBatch): Promise<StepProbe> {
    const [x, y] = batch.tensors as [tf.Tensor2D, tf.Tensor1D];
    return stepNeuronKernels(this.model, x, y, this.probe.n);
  }

  /** Test-set accuracy (share of points whose arg-max logit is their class). */
  async validate(): Promise<number> {
    const pred = tf.tidy(() => this.model.forward(this.testX).argMax(1));
    const p = await pred.data();
    pred.dispose();
    let ok = 0;
    this.testY.forEach((y, i) => {
      if (p[i] === y) ok++;
    });
    return ok / Math.max(1, this.testY.length);
  }

  /** The decision-boundary map with the data points. */
  async view(): Promise<ModelView> {
    return {
      kind: 'boundary',
      resolution: RESOLUTION,
      extent: EXTENT,
      classes: this.data.classes,
      probs: await this.boundary(RESOLUTION),
      train: this.data.train,
      test: this.data.test,
    };
  }

  /** Class probabilities on a grid over [−EXTENT, EXTENT]², for the decision-boundary map. */
  async boundary(resolution: number): Promise<Float32Array> {
    const pts = new Float32Array(resolution * resolution * 2);
    for (let r = 0; r < resolution; r++) {
      for (let c = 0; c < resolution; c++) {
        const i = r * resolution + c;
        pts[2 * i] = -EXTENT + (2 * EXTENT * (c + 0.5)) / resolution;
        pts[2 * i + 1] = EXTENT - (2 * EXTENT * (r + 0.5)) / resolution;
      }
    }
    const probs = tf.tidy(() =>
      tf.softmax(
        this.model.forward(
          tf.tensor2d(expandFeatures(pts, this.features), [
            resolution * resolution,
            this.features.length,
          ]),
        ),
      ),
    );
    const out = (await probs.data()) as Float32Array;
    probs.dispose();
    return out;
  }

  /** Training samples per step: `batch`, or the whole training set when smaller. */
  private batchSize(): number {
    return Math.min(this.config.batch, this.data.train.y.length);
  }

  private flopSize() {
    return {
      features: this.features,
      hidden: parseWidths(this.config.hidden),
      classes: this.data.classes,
    };
  }

  stepFlops(updating: boolean[]): StepFlops {
    return mlpStepFlops(this.flopSize(), this.batchSize(), updating);
  }

  evaluationFlops(): number {
    return mlpEvaluationFlops(
      this.flopSize(),
      this.probe.n,
      this.probe.numProjections,
      this.probe.kernel,
    ).total;
  }

  stepEvaluationFlops(updating: boolean[]): number {
    return mlpStepEvaluationFlops(this.flopSize(), this.batchSize(), this.probe.n, updating).total;
  }

  /**
   * The probe in run files: features [n, F], labels, and for the trace kernel its k × k identity
   * projections written out (s_c = f_c), as every exact probe writes them (empty for the loss).
   */
  exportProbe(): RunFile['probe'] {
    const { kernel, outputs: k } = this.probe;
    const identity = Array.from({ length: kernel === 'trace' ? k * k : 0 }, (_, i) =>
      i % (k + 1) === 0 ? 1 : 0,
    );
    const samples = {
      inputs: Array.from(this.probe.x),
      positions: [],
      targets: Array.from(this.probe.y),
      n: this.probe.n,
      seqLen: this.features.length,
      masked: 1,
    };
    return this.probeExport(samples, identity);
  }

  dispose(): void {
    this.testX.dispose();
    this.model.dispose();
  }
}
