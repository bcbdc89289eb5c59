import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../config';
import type { Corpus } from '../data/corpus';
import { capVocab } from '../data/corpus';
import type { MlmBatch } from '../data/mlm';
import { fixedMlmBatches, sampleMlmBatch } from '../data/mlm';
import { switchEvaluationFlops, switchStepFlops } from '../flops-switch';
import { tokenLosses } from '../models/bert';
import { TinySwitch } from '../models/switch';
import type { Probe, ProbeTensors } from '../mntk';
import { disposeProbeTensors, makeProbe, probeTensors } from '../mntk';
import { fastSwitchKernels } from '../mntk-switch';
import type { SwitchKernelExtras } from '../mntk-switch';
import type { Rng } from '../rng';
import type { RunFile } from '../runfile';
import type { ModelView, Task, TaskBatch } from './types';

/**
 * The tiny Switch Transformer learning masked-language modelling on the Austen corpus. Modules:
 * every attention head, then every expert; the routers are backbone. The training loss is the
 * masked-token cross-entropy plus the load-balancing loss; validation perplexity uses the
 * cross-entropy alone.
 *
 * The probe batch is routed once as a whole (one routing group of n·T tokens, capacity
 * ceil(c·n·T/E)); capacity drops couple its samples, and every kernel is taken with that routing
 * held fixed (see `fastSwitchKernels`).
 */
export class SwitchMlmTask implements Task {
  readonly model: TinySwitch;
  readonly metric = { name: 'perplexity', higherIsBetter: false } as const;
  readonly probe: Probe;
  private readonly probeT: ProbeTensors;
  private readonly train: Uint16Array;
  private readonly valBatches: MlmBatch[];
  private readonly config: ExperimentConfig;
  private lastLoad: number[] | null = null;

  constructor(config: ExperimentConfig, corpus: Corpus, rng: Rng) {
    this.config = config;
    const V = config.vocab;
    this.train = capVocab(corpus.train, V);
    const val = capVocab(corpus.val, V);
    this.model = new TinySwitch(
      {
        layers: config.layers,
        heads: config.heads,
        dModel: config.dModel,
        dFF: config.dFF,
        seqLen: config.seqLen,
        vocab: V,
        experts: config.experts,
        capacityFactor: config.capacity,
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

  /** Mean masked-token cross-entropy + Σ_layers α_lb · E · Σ_e f_e · P_e. */
  loss(batch: TaskBatch): tf.Scalar {
    const [tokens, positions, oneHot] = batch.tensors as [tf.Tensor2D, tf.Tensor1D, tf.Tensor2D];
    const { logits, aux } = this.model.forward({ tokens, positions });
    return tokenLosses(logits, oneHot).mean().add(aux) as tf.Scalar;
  }

  /** Every module's kernel; records the probe batch's router load from the same forward. */
  async kernels(): Promise<Float32Array> {
    const extras: SwitchKernelExtras = {};
    const out = await fastSwitchKernels(this.model, this.probe, this.probeT, extras);
    this.lastLoad = extras.routerLoad ?? null;
    return out;
  }

  /**
   * Router load on the probe batch: tokens routed to each expert after capacity, [layers · E]
   * in module order. The load of the most recent evaluation (taken from its forward, so free);
   * before the first evaluation, computed now on the probe batch (monitoring, not charged).
   */
  async routerLoad(): Promise<number[]> {
    if (this.lastLoad) return this.lastLoad.slice();
    const { inputs, batch, seqLen } = this.probe.batch;
    const tokens = tf.tensor2d(inputs, [batch, seqLen], 'int32');
    try {
      return await this.model.routerLoad(tokens);
    } finally {
      tokens.dispose();
    }
  }

  /**
   * Router load per expert on the probe batch, with each layer's token count: the tokens a
   * layer did not send to any expert were dropped by the capacity limit.
   */
  async view(): Promise<ModelView> {
    const load = await this.routerLoad();
    const experts = this.modules.filter((m) => m.kind === 'expert');
    const { batch, seqLen } = this.probe.batch;
    return {
      kind: 'router',
      load: Object.fromEntries(experts.map((m, i) => [m.id, load[i] ?? 0])),
      tokensPerLayer: batch * seqLen,
      capacity: this.model.capacity(batch * seqLen),
    };
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
        return tokenLosses(this.model.forward({ tokens, positions }).logits, oneHot).sum();
      });
      total += (await sum.data())[0]!;
      sum.dispose();
      count += b.positions.length;
    }
    return Math.exp(total / count);
  }

  stepFlops(updating: boolean[]): number {
    return switchStepFlops(this.model.size, this.config.batch, updating).total;
  }

  evaluationFlops(): number {
    return switchEvaluationFlops(this.model.size, this.config.probe, this.probe.numProjections)
      .total;
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
    return name.replace(/^switch[0-9a-z]+\//, '').replace(/#\d+$/, '');
  }

  dispose(): void {
    disposeProbeTensors(this.probeT);
    this.model.dispose();
  }
}
