import type * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../../config';
import { bertEvaluationFlops, bertStepEvaluationFlops, bertStepFlops } from './flops';
import { TinyBert } from './model';
import { crossEntropy } from '../../fused/cross-entropy';
import { fastBertKernels, stepBertKernels } from './kernel';
import { moduleSelection } from '../transformer/selection';
import type { Rng } from '../../rng';
import type { MlmTensors } from '../transformer/mlm-task';
import type { KernelTerms } from '../transformer/kernel';
import { MlmTask } from '../transformer/mlm-task';
import type { StepProbe, TaskBatch } from '../types';

/** The tiny BERT learning masked-language modelling on the Austen corpus. */
export class BertMlmTask extends MlmTask<TinyBert> {
  protected readonly flops = { step: bertStepFlops, evaluation: bertEvaluationFlops };

  protected createModel(config: ExperimentConfig, rng: Rng): TinyBert {
    const { layers, heads, dModel, dFF, seqLen, vocab } = config;
    const size = { layers, heads, dModel, dFF, seqLen, vocab };
    return new TinyBert(size, rng, moduleSelection(config.modules));
  }

  protected logits(tokens: tf.Tensor2D, positions: tf.Tensor1D): tf.Tensor2D {
    return this.model.forward({ tokens, positions });
  }

  loss(batch: TaskBatch): tf.Scalar {
    const [tokens, positions, oneHot] = batch.tensors as MlmTensors;
    return crossEntropy(this.logits(tokens, positions), null, oneHot, 'mean');
  }

  protected fastKernels(extras?: KernelTerms): Promise<Float32Array> {
    return fastBertKernels(this.model, this.probe, this.probeT, extras);
  }

  /** The training step on `batch` with the 'step' kernel of its first n = `probe` sequences. */
  stepKernels(batch: TaskBatch): Promise<StepProbe> {
    return stepBertKernels(this.model, batch.tensors as MlmTensors, this.config.probe);
  }

  stepEvaluationFlops(updating: boolean[]): number {
    const { size, selection } = this.model;
    const { batch, probe } = this.config;
    return bertStepEvaluationFlops(size, batch, probe, updating, selection).total;
  }
}
