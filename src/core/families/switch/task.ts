import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../../config';
import { switchEvaluationFlops, switchStepEvaluationFlops, switchStepFlops } from './flops';
import { crossEntropy } from '../../fused/cross-entropy';
import { TinySwitch } from './model';
import { fastSwitchKernels, stepSwitchKernels } from './kernel';
import type { SwitchKernelExtras } from './kernel';
import { moduleSelection } from '../transformer/selection';
import type { Rng } from '../../rng';
import type { MlmTensors } from '../transformer/mlm-task';
import type { KernelTerms } from '../transformer/kernel';
import { MlmTask } from '../transformer/mlm-task';
import type { ModelView, StepProbe, TaskBatch } from '../types';

/**
 * The tiny Switch Transformer learning masked-language modelling on the Austen corpus. Modules:
 * every attention head, then every expert, then (with `modules` naming `embed`) the embeddings;
 * the routers are backbone (with `shared` in `modules`, each trains with its layer's experts).
 * The training loss is the masked-token cross-entropy plus the load-balancing loss; validation perplexity uses the
 * cross-entropy alone.
 *
 * The probe batch is routed once as a whole (one routing group of n·T tokens, capacity
 * ceil(c·n·T/E)); capacity drops couple its samples, and every kernel is taken with that routing
 * held fixed (see `fastSwitchKernels`).
 */
export class SwitchMlmTask extends MlmTask<TinySwitch> {
  protected readonly flops = { step: switchStepFlops, evaluation: switchEvaluationFlops };
  private lastLoad: number[] | null = null;

  protected createModel(config: ExperimentConfig, rng: Rng): TinySwitch {
    const { layers, heads, dModel, dFF, seqLen, vocab, experts, capacity } = config;
    return new TinySwitch(
      { layers, heads, dModel, dFF, seqLen, vocab, experts, capacityFactor: capacity },
      rng,
      moduleSelection(config.modules),
    );
  }

  protected logits(tokens: tf.Tensor2D, positions: tf.Tensor1D): tf.Tensor2D {
    return this.model.forward({ tokens, positions }).logits;
  }

  /** Mean masked-token cross-entropy + Σ_layers α_lb · E · Σ_e f_e · P_e. */
  loss(batch: TaskBatch): tf.Scalar {
    const [tokens, positions, oneHot] = batch.tensors as MlmTensors;
    const { logits, aux } = this.model.forward({ tokens, positions });
    return crossEntropy(logits, null, oneHot, 'mean').add(aux) as tf.Scalar;
  }

  /** Every module's kernel; records the probe batch's router load from the same forward. */
  protected async fastKernels(terms?: KernelTerms): Promise<Float32Array> {
    const extras: SwitchKernelExtras = { ...terms };
    const out = await fastSwitchKernels(this.model, this.probe, this.probeT, extras);
    this.lastLoad = extras.routerLoad ?? null;
    if (terms && extras.terms) terms.terms = extras.terms;
    return out;
  }

  /**
   * The training step on `batch` with the 'step' kernel of its first n = `probe` sequences (the
   * kernel of each sequence's share of the training objective, load-balancing loss included).
   */
  stepKernels(batch: TaskBatch): Promise<StepProbe> {
    return stepSwitchKernels(this.model, batch.tensors as MlmTensors, this.config.probe);
  }

  stepEvaluationFlops(updating: boolean[]): number {
    const { size, selection } = this.model;
    const { batch, probe } = this.config;
    return switchStepEvaluationFlops(size, batch, probe, updating, selection).total;
  }

  /**
   * Router load on the probe batch: tokens routed to each expert after capacity, [layers · E]
   * in module order. The load of the most recent probe-kernel evaluation (taken from its forward,
   * so free); before the first one, or with the step kernel (which never runs the probe batch),
   * computed now on the probe batch (monitoring, not charged).
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
}
