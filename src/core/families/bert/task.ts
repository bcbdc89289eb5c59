import type * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../../config';
import type { StepFlops } from '../../flops';
import { bertEvaluationFlops, bertStepFlops } from './flops';
import { TinyBert } from './model';
import { tokenLosses } from '../transformer/model';
import { fastHeadKernels } from './kernel';
import type { Rng } from '../../rng';
import type { MlmTensors } from '../transformer/mlm-task';
import { MlmTask } from '../transformer/mlm-task';
import type { TaskBatch } from '../types';

/** The tiny BERT learning masked-language modelling on the Austen corpus. */
export class BertMlmTask extends MlmTask<TinyBert> {
  protected createModel(config: ExperimentConfig, rng: Rng): TinyBert {
    const { layers, heads, dModel, dFF, seqLen, vocab } = config;
    return new TinyBert({ layers, heads, dModel, dFF, seqLen, vocab }, rng);
  }

  protected logits(tokens: tf.Tensor2D, positions: tf.Tensor1D): tf.Tensor2D {
    return this.model.forward({ tokens, positions });
  }

  loss(batch: TaskBatch): tf.Scalar {
    const [tokens, positions, oneHot] = batch.tensors as MlmTensors;
    return tokenLosses(this.logits(tokens, positions), oneHot).mean() as tf.Scalar;
  }

  kernels(): Promise<Float32Array> {
    return fastHeadKernels(this.model, this.probe, this.probeT);
  }

  stepFlops(updating: boolean[]): StepFlops {
    const H = this.config.heads;
    const groups = Array.from({ length: this.config.layers }, (_, l) => {
      const on = updating.slice(l * H, (l + 1) * H).filter(Boolean).length;
      return on === 0 || on === H ? 1 : 2;
    });
    return bertStepFlops(this.model.size, this.config.batch, updating, groups);
  }

  evaluationFlops(): number {
    return bertEvaluationFlops(this.model.size, this.config.probe, this.probe.numProjections).total;
  }
}
