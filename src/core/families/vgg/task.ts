import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../../config';
import { fcWidths } from '../../config';
import type { FashionData, ImageSet } from '../../data/fashion';
import {
  FASHION_CLASS_NAMES,
  FASHION_CLASSES,
  FASHION_SIDE,
  sampleImageBatch,
  sliceImages,
} from '../../data/fashion';
import type { StepFlops } from '../../flops';
import { vggEvaluationFlops, vggStepEvaluationFlops, vggStepFlops } from './flops';
import type { ImageProbe, ImageProbeTensors } from './kernel';
import {
  disposeImageProbeTensors,
  fastFilterGroupKernels,
  imageProbeTensors,
  makeImageProbe,
  stepFilterGroupKernels,
} from './kernel';
import type { VggSize } from './model';
import { DEFAULT_VGG, SmallVgg } from './model';
import type { Rng } from '../../rng';
import type { RunFile } from '../../runfile';
import type { ModelView, StepProbe, Task, TaskBatch } from '../types';
import { TaskBase, probeKernel } from '../task-base';
import { ACCURACY } from '../family';

/** Validation images per forward pass (bounds the activations' memory). */
const VAL_CHUNK = 250;

/** The VGG size a config asks for (stages from `channels`, two convs each, g = `groupSize`). */
export function vggSizeOf(config: ExperimentConfig): VggSize {
  return {
    ...DEFAULT_VGG,
    channels: config.channels.split(',').map(Number),
    fc: fcWidths(config.fc),
    groupSize: config.groupSize,
  };
}

/**
 * The small VGG classifying Fashion-MNIST. Modules: filter groups of every conv layer and unit
 * groups of the classifier's hidden stages (`fc`); the output layer is backbone. Metric: accuracy on held-out validation images (training images
 * 5000 … 5999, see `validationSet`); the confusion matrix of the latest validation is the view.
 */
export class VggFashionTask extends TaskBase<SmallVgg> implements Task {
  readonly model: SmallVgg;
  readonly metric = ACCURACY;
  readonly probe: ImageProbe;
  readonly data: FashionData;
  private readonly probeT: ImageProbeTensors;
  private readonly config: ExperimentConfig;
  /**
   * The validation images used: the first `valBatches` × `batch` of the 1,000 held out (all of
   * them with the preset's 32 × 32). Fewer make a validation cheap where convolutions are slow
   * (a software WebGPU adapter convolves ≈ 10⁴ times slower than a GPU).
   */
  readonly validation: ImageSet;
  private valChunks: tf.Tensor4D[] | null = null;
  private confusion: Int32Array | null = null;

  constructor(config: ExperimentConfig, data: FashionData, rng: Rng) {
    super();
    this.config = config;
    this.data = data;
    if (data.train.count < 1 || data.val.count < 1) {
      throw new RangeError('The VGG task needs training and validation images.');
    }
    const nVal = Math.min(data.val.count, config.valBatches * config.batch);
    this.validation = nVal === data.val.count ? data.val : sliceImages(data.val, 0, nVal);
    this.model = new SmallVgg(vggSizeOf(config), rng.fork('init'));
    const probeBatch = sampleImageBatch(data.train, config.probe, rng.fork('probe'));
    this.probe = makeImageProbe(
      probeBatch,
      FASHION_CLASSES,
      probeKernel(config.kernel),
      config.R,
      rng.fork('projections'),
    );
    this.probeT = imageProbeTensors(this.probe, this.model);
  }

  get probeSize(): number {
    return this.config.probe;
  }

  private imageTensor(x: Float32Array, count: number): tf.Tensor4D {
    return tf.tensor4d(x, [count, FASHION_SIDE, FASHION_SIDE, 1]);
  }

  /** `config.batch` training images drawn with replacement. */
  sampleBatch(rng: Rng): TaskBatch {
    const b = sampleImageBatch(this.data.train, this.config.batch, rng);
    return { tensors: [this.imageTensor(b.x, b.batch), tf.tensor1d(b.y, 'int32')] };
  }

  loss(batch: TaskBatch): tf.Scalar {
    const [x, y] = batch.tensors as [tf.Tensor4D, tf.Tensor1D];
    return this.model.loss(x, y);
  }

  kernels(): Promise<Float32Array> {
    return fastFilterGroupKernels(this.model, this.probe, this.probeT);
  }

  /** The training step on `batch` with the 'step' kernel of its first n = `probe` images. */
  stepKernels(batch: TaskBatch): Promise<StepProbe> {
    const [x, y] = batch.tensors as [tf.Tensor4D, tf.Tensor1D];
    return stepFilterGroupKernels(this.model, x, y, this.config.probe);
  }

  /** A set's images as device tensors of at most VAL_CHUNK images (bounds activation memory). */
  private chunks(set: ImageSet): tf.Tensor4D[] {
    const px = FASHION_SIDE * FASHION_SIDE;
    const out: tf.Tensor4D[] = [];
    for (let a = 0; a < set.count; a += VAL_CHUNK) {
      const b = Math.min(set.count, a + VAL_CHUNK);
      out.push(this.imageTensor(set.x.subarray(a * px, b * px), b - a));
    }
    return out;
  }

  /** Predicted classes of the images in `chunks`, in order. */
  private async predictChunks(chunks: tf.Tensor4D[]): Promise<Int32Array> {
    const out = new Int32Array(chunks.reduce((n, c) => n + c.shape[0], 0));
    let at = 0;
    for (const x of chunks) {
      const pred = tf.tidy(() => this.model.forward(x, { allGroups: true }).argMax(1));
      out.set(await pred.data(), at);
      at += x.shape[0];
      pred.dispose();
    }
    return out;
  }

  /** Accuracy and confusion counts [true, predicted] of predictions against labels. */
  private static score(
    pred: Int32Array,
    y: Int32Array,
  ): { accuracy: number; confusion: Int32Array } {
    const k = FASHION_CLASSES;
    const confusion = new Int32Array(k * k);
    let right = 0;
    pred.forEach((p, i) => {
      const t = y[i]!;
      confusion[t * k + p]!++;
      if (p === t) right++;
    });
    return { accuracy: right / Math.max(1, y.length), confusion };
  }

  /**
   * Accuracy on the validation images; keeps their confusion matrix for the view. The images
   * go to the device once, at the first validation, and stay until `dispose`.
   */
  async validate(): Promise<number> {
    this.valChunks ??= this.chunks(this.validation);
    const { accuracy, confusion } = VggFashionTask.score(
      await this.predictChunks(this.valChunks),
      this.validation.y,
    );
    this.confusion = confusion;
    return accuracy;
  }

  async view(): Promise<ModelView> {
    if (!this.confusion) await this.validate();
    return {
      kind: 'confusion',
      classes: [...FASHION_CLASS_NAMES],
      matrix: this.confusion!.slice(),
    };
  }

  stepFlops(updating: boolean[]): StepFlops {
    return vggStepFlops(this.model.size, this.config.batch, updating);
  }

  evaluationFlops(): number {
    return vggEvaluationFlops(
      this.model.size,
      this.config.probe,
      this.probe.numProjections,
      this.probe.kernel,
    ).total;
  }

  stepEvaluationFlops(updating: boolean[]): number {
    return vggStepEvaluationFlops(this.model.size, this.config.batch, this.config.probe, updating)
      .total;
  }

  exportProbe(): RunFile['probe'] {
    const b = this.probe.batch;
    const samples = {
      inputs: Array.from(b.x),
      positions: [],
      targets: Array.from(b.y),
      n: b.batch,
      seqLen: FASHION_SIDE * FASHION_SIDE,
      masked: 1,
    };
    return this.probeExport(samples, Array.from(this.probe.projections));
  }

  dispose(): void {
    for (const c of this.valChunks ?? []) c.dispose();
    disposeImageProbeTensors(this.probeT);
    this.model.dispose();
  }
}
