import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../rng';
import type { ModuleInfo } from '../../types';
import type { LabModel } from '../model';
import type { Captured, ForwardInput, Taps, TransformerSize } from '../transformer/model';
import { INIT_STD, MlmTransformer, dense, disposeHeadGroups } from '../transformer/model';
import { fusedActive } from '../../fused/program';
import { linear } from '../../fused/matmul';
import type { ModuleSelection } from '../transformer/selection';
import { HEADS_ONLY } from '../transformer/selection';

/** Sizes of the tiny BERT (post-LayerNorm encoder, ReLU FFN, tied MLM decoder). */
export type BertSize = TransformerSize;

/** A BERT layer's feed-forward block: ReLU(x W1 + b1) W2 + b2 (backbone, or one module). */
interface FeedForward {
  w1: tf.Variable;
  b1: tf.Variable;
  w2: tf.Variable;
  b2: tf.Variable;
}

/**
 * Taps of the fast kernel: the heads' (and embeddings') of `Taps`, and with the FFN blocks
 * modules, per layer one on the FFN's pre-activation h = x W1 + b1 [N·T, dFF] and one on its
 * output y = ReLU(h) W2 + b2 [N·T, d].
 */
export interface BertTaps extends Taps {
  h?: tf.Tensor2D[];
  out?: tf.Tensor2D[];
}

/** Activations kept for the fast kernel: `Captured`, and per layer the FFN's input and ReLU(h). */
export interface BertCaptured extends Captured {
  /** Per layer: [N·T, d], the FFN input x. */
  ffnIn?: tf.Tensor2D[];
  /** Per layer: [N·T, dFF], ReLU(h). */
  hidden?: tf.Tensor2D[];
}

/**
 * A tiny BERT for masked-language modelling whose attention heads are separate variables, so
 * MAT can drop a frozen head from the optimizer's variable list and TF.js prunes its
 * weight-gradient kernels. With `selection.ffn` each layer's FFN block is a module too
 * (`L{l}.F`, kind `ffn`), with `selection.embed` the embeddings (`E`, kind `embed`). Module
 * order: every head (L0.H0, L0.H1, …, L1.H0, …), then the FFN blocks (L0.F, L1.F, …), then E.
 */
export class TinyBert extends MlmTransformer<FeedForward> implements LabModel {
  readonly modules: ModuleInfo[];
  /** Per layer: its FFN is a frozen module (set by `setGroups`). */
  private ffnFrozen: boolean[];

  constructor(size: BertSize, rng: Rng, selection: ModuleSelection = HEADS_ONLY) {
    const { dModel: d, dFF } = size;
    super(
      'bert',
      size,
      rng,
      (l, vars) => ({
        w1: vars.normal([d, dFF], INIT_STD, `L${l}.w1`),
        b1: vars.fill([dFF], 0, `L${l}.b1`),
        w2: vars.normal([dFF, d], INIT_STD, `L${l}.w2`),
        b2: vars.fill([d], 0, `L${l}.b2`),
      }),
      selection,
    );
    const ffnModules: ModuleInfo[] = selection.ffn
      ? this.layerVars.map((_, l) => ({
          id: `L${l}.F`,
          kind: 'ffn',
          layer: l,
          index: 0,
          params: d * dFF + dFF + dFF * d + d,
        }))
      : [];
    this.modules = [...this.headModules, ...ffnModules, ...this.embedModules];
    this.ffnFrozen = this.layerVars.map(() => false);
  }

  protected feedForwardBackbone(L: FeedForward): tf.Variable[] {
    return this.selection.ffn ? [] : this.ffnVariables(L);
  }

  protected feedForwardModules(l: number): number[] {
    return this.selection.ffn ? [this.firstFfn + l] : [];
  }

  private ffnVariables(L: FeedForward): tf.Variable[] {
    return [L.w1, L.b1, L.w2, L.b2];
  }

  /** Index of the first FFN module (the heads come first). */
  get firstFfn(): number {
    return this.size.layers * this.size.heads;
  }

  /** The variables of module `m` (index into `modules`). */
  moduleVariables(m: number): tf.Variable[] {
    const info = this.modules[m];
    if (!info) throw new Error(`No module ${m}`);
    return this.sharedModuleVariables(info) ?? this.ffnVariables(this.layerVars[info.layer]!);
  }

  /**
   * Regroups each layer's heads into an updated and a frozen group (see `headGroups`), and
   * notes which FFN modules are frozen (their second matmul then runs unfused, see `forward`).
   */
  setGroups(updating: boolean[]): void {
    const H = this.size.heads;
    this.regroupHeads((l, h) => updating[l * H + h] ?? true);
    this.ffnFrozen = this.layerVars.map(
      (_, l) => this.selection.ffn && updating[this.firstFfn + l] === false,
    );
  }

  /**
   * Logits at the masked positions, [N·M, V]. With `taps`, every layer uses one group of all
   * heads and the taps are added to q|k|v and to the attention output (and, where given, to the
   * FFN's h and output and to the embeddings); with `capture`, the inputs of those maps are kept
   * (tf.keep) for the caller to dispose.
   *
   * The FFN's second matmul runs fused with its bias, except in a layer whose FFN is a frozen
   * module: TF.js's fused matmul with a linear activation is a custom gradient that computes the
   * gradients of all its inputs whenever one is needed (here the input's), so W2's and b2's would
   * be computed though nothing uses them; unfused, TF.js prunes them. (With ReLU the fused op
   * falls back to unfused ops under a gradient tape by itself, so W1 needs nothing.) With the
   * fused kernels (core/fused) the FFN is a matmul, one bias-and-ReLU kernel and a plain matmul
   * whose bias goes into the add & norm kernel; all their gradients are lazy, so pruned alike.
   */
  forward(
    input: ForwardInput,
    opts: { taps?: BertTaps; capture?: BertCaptured; allHeads?: boolean } = {},
  ): tf.Tensor2D {
    const { taps, capture } = opts;
    return this.encode(input, Boolean(taps || opts.allHeads), opts, (x, L, l) => {
      if (taps?.h && taps.out) {
        capture?.ffnIn?.push(tf.keep(x));
        const h = tf
          .matMul(x, L.w1 as tf.Tensor2D)
          .add(L.b1)
          .add(taps.h[l]!);
        const a = tf.relu(h) as tf.Tensor2D;
        capture?.hidden?.push(tf.keep(a));
        return tf
          .matMul(a, L.w2 as tf.Tensor2D)
          .add(L.b2)
          .add(taps.out[l]!) as tf.Tensor2D;
      }
      if (fusedActive()) {
        // matmul + one bias-and-ReLU kernel; W2's bias goes into the add & norm's kernel.
        const hidden = dense(x, L.w1 as tf.Tensor2D, L.b1, 'relu');
        return { out: linear(hidden, L.w2 as tf.Tensor2D), bias: L.b2 };
      }
      const hidden = tf.fused.matMul({
        a: x,
        b: L.w1 as tf.Tensor2D,
        bias: L.b1,
        activation: 'relu',
      });
      if (this.ffnFrozen[l]) {
        return tf.matMul(hidden, L.w2 as tf.Tensor2D).add(L.b2) as tf.Tensor2D;
      }
      return tf.fused.matMul({ a: hidden, b: L.w2 as tf.Tensor2D, bias: L.b2 }) as tf.Tensor2D;
    });
  }

  dispose(): void {
    disposeHeadGroups(this.heads);
    for (const v of this.allVariables()) v.dispose();
  }
}
