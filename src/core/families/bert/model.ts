import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../rng';
import type { ModuleInfo } from '../../types';
import type { LabModel } from '../model';
import type { Captured, ForwardInput, Taps, TransformerSize } from '../transformer/model';
import { INIT_STD, MlmTransformer, disposeHeadGroups } from '../transformer/model';

/** Sizes of the tiny BERT (post-LayerNorm encoder, ReLU FFN, tied MLM decoder). */
export type BertSize = TransformerSize;

/** A BERT layer's feed-forward block (backbone): ReLU(x W1 + b1) W2 + b2. */
interface FeedForward {
  w1: tf.Variable;
  b1: tf.Variable;
  w2: tf.Variable;
  b2: tf.Variable;
}

/**
 * A tiny BERT for masked-language modelling whose attention heads are separate variables, so
 * MAT can drop a frozen head from the optimizer's variable list and TF.js prunes its
 * weight-gradient kernels.
 */
export class TinyBert extends MlmTransformer<FeedForward> implements LabModel {
  readonly modules: ModuleInfo[];

  constructor(size: BertSize, rng: Rng) {
    const { dModel: d, dFF } = size;
    super('bert', size, rng, (l, vars) => ({
      w1: vars.normal([d, dFF], INIT_STD, `L${l}.w1`),
      b1: vars.fill([dFF], 0, `L${l}.b1`),
      w2: vars.normal([dFF, d], INIT_STD, `L${l}.w2`),
      b2: vars.fill([d], 0, `L${l}.b2`),
    }));
    this.modules = this.headModules;
  }

  protected feedForwardBackbone(L: FeedForward): tf.Variable[] {
    return [L.w1, L.b1, L.w2, L.b2];
  }

  /** The variables of module `m` (index into `modules`). */
  moduleVariables(m: number): tf.Variable[] {
    const info = this.modules[m];
    if (!info) throw new Error(`No module ${m}`);
    return this.headVariables(info.layer, info.index);
  }

  allVariables(): tf.Variable[] {
    return [
      ...this.backboneVariables(),
      ...this.modules.flatMap((_, m) => this.moduleVariables(m)),
    ];
  }

  /** Regroups each layer's heads into an updated and a frozen group (see `headGroups`). */
  setGroups(updating: boolean[]): void {
    const H = this.size.heads;
    this.regroupHeads((l, h) => updating[l * H + h] ?? true);
  }

  /**
   * Logits at the masked positions, [N·M, V]. With `taps`, every layer uses one group of all
   * heads and the taps are added to q|k|v and to the attention output; with `capture`, the
   * inputs of those maps are kept (tf.keep) for the caller to dispose.
   */
  forward(
    input: ForwardInput,
    opts: { taps?: Taps; capture?: Captured; allHeads?: boolean } = {},
  ): tf.Tensor2D {
    return this.encode(input, Boolean(opts.taps || opts.allHeads), opts, (x, L) => {
      const hidden = tf.fused.matMul({
        a: x,
        b: L.w1 as tf.Tensor2D,
        bias: L.b1,
        activation: 'relu',
      });
      return tf.fused.matMul({ a: hidden, b: L.w2 as tf.Tensor2D, bias: L.b2 }) as tf.Tensor2D;
    });
  }

  dispose(): void {
    disposeHeadGroups(this.heads);
    for (const v of this.allVariables()) v.dispose();
  }
}
