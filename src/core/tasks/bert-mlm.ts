import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../config';
import type { Corpus } from '../data/corpus';
import { capVocab } from '../data/corpus';
import type { MlmBatch } from '../data/mlm';
import { fixedMlmBatches, sampleMlmBatch } from '../data/mlm';
import { bertEvaluationFlops, bertStepFlops } from '../flops';
import { TinyBert, tokenLosses } from '../models/bert';
import type { Probe, ProbeTensors } from '../mntk';
import { disposeProbeTensors, fastHeadKernels, makeProbe, probeTensors } from '../mntk';
import type { Rng } from '../rng';
import type { RunFile } from '../runfile';
import type { Task, TaskBatch } from './types';

/** The tiny BERT learning masked-language modelling on the Austen corpus. */
export class BertMlmTask implements Task {
  readonly model: TinyBert;
  readonly metric = { name: 'perplexity', higherIsBetter: false } as const;
  readonly probe: Probe;
  private readonly probeT: ProbeTensors;
  private readonly train: Uint16Array;
  private readonly valBatches: MlmBatch[];
  private readonly config: ExperimentConfig;

  constructor(config: ExperimentConfig, corpus: Corpus, rng: Rng) {
    this.config = config;
    const V = config.vocab;
    this.train = capVocab(corpus.train, V);
    const val = capVocab(corpus.val, V);
    this.model = new TinyBert(
      {
        layers: config.layers,
        heads: config.heads,
        dModel: config.dModel,
        dFF: config.dFF,
        seqLen: config.seqLen,
        vocab: V,
      },
      rng.fork('init'),
    );
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
    this.probe = makeProbe(probeBatch, V, config.kernel, config.R, rng.fork('projections'));
    this.probeT = probeTensors(this.probe, V);
  }

  get modules() {
    return this.model.modules;
  }

  get probeSize(): number {
    return this.config.probe;
  }

  get probeInfo() {
    return {
      k: this.probe.outputs,
      projections: this.probe.numProjections,
      exact: this.probe.exact,
    };
  }

  sampleBatch(rng: Rng): TaskBatch {
    const { batch, seqLen, vocab } = this.config;
    const b = sampleMlmBatch(this.train, batch, seqLen, vocab, rng);
    return { tensors: this.batchTensors(b) };
  }

  private batchTensors(b: MlmBatch): tf.Tensor[] {
    return tf.tidy(() => [
      tf.tensor2d(b.inputs, [b.batch, b.seqLen], 'int32'),
      tf.tensor1d(b.positions, 'int32'),
      tf.oneHot(tf.tensor1d(b.targets, 'int32'), this.config.vocab).toFloat(),
    ]);
  }

  loss(batch: TaskBatch): tf.Scalar {
    const [tokens, positions, oneHot] = batch.tensors as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D];
    return tokenLosses(this.model.forward({ tokens, positions }), oneHot).mean() as tf.Scalar;
  }

  kernels(): Promise<Float32Array> {
    return fastHeadKernels(this.model, this.probe, this.probeT);
  }

  /** Validation perplexity exp(mean masked-token cross-entropy) over the fixed val batches. */
  async validate(): Promise<number> {
    let total = 0;
    let count = 0;
    for (const b of this.valBatches) {
      const sum = tf.tidy(() => {
        const [tokens, positions, oneHot] = this.batchTensors(b) as [
          tf.Tensor2D,
          tf.Tensor1D,
          tf.Tensor2D,
        ];
        return tokenLosses(this.model.forward({ tokens, positions }), oneHot).sum();
      });
      total += (await sum.data())[0]!;
      sum.dispose();
      count += b.positions.length;
    }
    return Math.exp(total / count);
  }

  stepFlops(updating: boolean[]): number {
    const H = this.config.heads;
    const groups = Array.from({ length: this.config.layers }, (_, l) => {
      const on = updating.slice(l * H, (l + 1) * H).filter(Boolean).length;
      return on === 0 || on === H ? 1 : 2;
    });
    return bertStepFlops(this.model.size, this.config.batch, updating, groups).total;
  }

  evaluationFlops(): number {
    return bertEvaluationFlops(this.model.size, this.config.probe, this.probe.numProjections).total;
  }

  exportProbe(): RunFile['probe'] {
    const b = this.probe.batch;
    return {
      inputs: Array.from(b.inputs),
      positions: Array.from(b.positions),
      targets: Array.from(b.targets),
      n: b.batch,
      seqLen: b.seqLen,
      masked: b.masked,
      projections: Array.from(this.probe.projections),
      numProjections: this.probe.numProjections,
      weight: this.probe.weight,
      kernel: this.probe.kernel,
    };
  }

  exportName(name: string): string {
    return name.replace(/^bert[0-9a-z]+\//, '').replace(/#\d+$/, '');
  }

  dispose(): void {
    disposeProbeTensors(this.probeT);
    this.model.dispose();
  }
}
