import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../../config';
import type { Corpus } from '../../data/corpus';
import type { EvaluationFlops, StepFlops } from '../../flops';
import { capVocab } from '../../data/corpus';
import type { MlmBatch } from '../../data/mlm';
import { fixedMlmBatches, sampleMlmBatch } from '../../data/mlm';
import type { KernelTerms, Probe, ProbeTensors } from './kernel';
import type { SpectrumInput } from '../../kernel';
import { kernelInput } from '../../kernel';
import { disposeProbeTensors, makeProbe, probeTensors } from './kernel';
import type { LabModel } from '../model';
import type { TransformerSize } from './model';
import type { ModuleSelection } from './selection';
import type { Rng } from '../../rng';
import type { RunFile } from '../../runfile';
import type { Task, TaskBatch } from '../types';
import { TaskBase, probeKernel } from '../task-base';
import { crossEntropy } from '../../fused/cross-entropy';
import { PERPLEXITY } from '../family';

/** Token ids [N, T], masked positions (flat indices), one-hot targets [M, V]. */
export type MlmTensors = [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D];

/** A transformer family's FLOP counts (as `bertStepFlops` and `bertEvaluationFlops`). */
export interface MlmFlops<S extends TransformerSize> {
  step(size: S, batch: number, updating: boolean[], selection: ModuleSelection): StepFlops;
  evaluation(size: S, n: number, projections: number, selection: ModuleSelection): EvaluationFlops;
}

/** A transformer: a `LabModel` of its size, with the parts `selection` makes modules. */
type MlmModel = LabModel & { readonly size: TransformerSize; readonly selection: ModuleSelection };

/**
 * Masked-language modelling on the Austen corpus, whatever the transformer: the training
 * stream, the fixed validation batches, the probe and its tensors, batches, validation
 * perplexity, the FLOPs of a step and of an evaluation, and the probe's export. Subclasses build
 * the model (in `createModel`, from the constructor's `init` rng) and give its logits, loss,
 * kernels and FLOP counts (`flops`).
 */
export abstract class MlmTask<M extends MlmModel> extends TaskBase<M> implements Task {
  readonly model: M;
  readonly metric = PERPLEXITY;
  readonly probe: Probe;
  protected readonly probeT: ProbeTensors;
  protected readonly config: ExperimentConfig;
  private readonly train: Uint16Array;
  private readonly valBatches: MlmBatch[];

  constructor(config: ExperimentConfig, corpus: Corpus, rng: Rng) {
    super();
    this.config = config;
    const V = config.vocab;
    this.train = capVocab(corpus.train, V);
    const val = capVocab(corpus.val, V);
    this.model = this.createModel(config, rng.fork('init'));
    this.valBatches = fixedMlmBatches(
      val,
      config.valBatches,
      config.batch,
      config.seqLen,
      V,
      rng.fork('val'),
    );
    const probeBatch = sampleMlmBatch(
      this.train,
      config.probe,
      config.seqLen,
      V,
      rng.fork('probe'),
    );
    // kernel = step: the fixed probe (exports, `Session.evaluate`) takes the loss kernel.
    this.probe = makeProbe(
      probeBatch,
      V,
      probeKernel(config.kernel),
      config.R,
      rng.fork('projections'),
    );
    this.probeT = probeTensors(this.probe, V);
  }

  protected abstract createModel(config: ExperimentConfig, rng: Rng): M;
  /** Logits at the masked positions, [M, V]. */
  protected abstract logits(tokens: tf.Tensor2D, positions: tf.Tensor1D): tf.Tensor2D;
  abstract loss(batch: TaskBatch): tf.Scalar;
  /** The fast kernels on the probe (with the per-projection terms when `extras` asks). */
  protected abstract fastKernels(extras?: KernelTerms): Promise<Float32Array>;

  kernels(): Promise<Float32Array> {
    return this.fastKernels();
  }

  /**
   * The kernels, and with the projected trace kernel (R' ≥ 2 random projections) their
   * per-projection terms, from which the Session takes each λmax's standard error.
   */
  async spectrumInput(): Promise<SpectrumInput> {
    const R = this.probe.numProjections;
    const extras: KernelTerms = { withTerms: !this.probe.exact && R >= 2 };
    const data = await this.fastKernels(extras);
    const input = kernelInput(data, this.probeSize);
    return extras.terms ? { ...input, projections: { count: R, data: extras.terms } } : input;
  }
  protected abstract readonly flops: MlmFlops<M['size']>;

  get probeSize(): number {
    return this.config.probe;
  }

  sampleBatch(rng: Rng): TaskBatch {
    const { batch, seqLen, vocab } = this.config;
    return { tensors: this.batchTensors(sampleMlmBatch(this.train, batch, seqLen, vocab, rng)) };
  }

  protected batchTensors(b: MlmBatch): MlmTensors {
    return tf.tidy(() => [
      tf.tensor2d(b.inputs, [b.batch, b.seqLen], 'int32'),
      tf.tensor1d(b.positions, 'int32'),
      tf.oneHot(tf.tensor1d(b.targets, 'int32'), this.config.vocab).toFloat(),
    ]) as MlmTensors;
  }

  /** Validation perplexity exp(mean masked-token cross-entropy) over the fixed val batches. */
  async validate(): Promise<number> {
    let total = 0;
    let count = 0;
    for (const b of this.valBatches) {
      const sum = tf.tidy(() => {
        const [tokens, positions, oneHot] = this.batchTensors(b);
        return crossEntropy(this.logits(tokens, positions), null, oneHot, 'sum');
      });
      total += (await sum.data())[0]!;
      sum.dispose();
      count += b.positions.length;
    }
    return Math.exp(total / count);
  }

  stepFlops(updating: boolean[]): StepFlops {
    return this.flops.step(this.model.size, this.config.batch, updating, this.model.selection);
  }

  evaluationFlops(): number {
    const { size, selection } = this.model;
    const R = this.probe.numProjections;
    return this.flops.evaluation(size, this.config.probe, R, selection).total;
  }

  exportProbe(): RunFile['probe'] {
    const b = this.probe.batch;
    const samples = {
      inputs: Array.from(b.inputs),
      positions: Array.from(b.positions),
      targets: Array.from(b.targets),
      n: b.batch,
      seqLen: b.seqLen,
      masked: b.masked,
    };
    return this.probeExport(samples, Array.from(this.probe.projections));
  }

  dispose(): void {
    disposeProbeTensors(this.probeT);
    this.model.dispose();
  }
}
