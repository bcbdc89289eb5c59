import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../rng';
import type { ModuleInfo } from '../../types';
import type { LabModel } from '../model';
import { sampleLosses, splitIndices } from '../model';
import { VariableFactory } from '../variables';

/**
 * Input features computed from a point (x, y) ∈ [−1, 1]², as in TensorFlow Playground:
 * x, y, x², y², x·y, sin(πx), sin(πy). Playground takes sin of coordinates in [−6, 6] (about
 * two periods); ours are in [−1, 1], so the argument is scaled by π to keep a full period.
 */
export type MlpFeature = 'x' | 'y' | 'x2' | 'y2' | 'xy' | 'sinx' | 'siny';

export const MLP_FEATURES: readonly MlpFeature[] = ['x', 'y', 'x2', 'y2', 'xy', 'sinx', 'siny'];

export type MlpActivation = 'tanh' | 'relu';

/** Architecture of the classroom MLP: features → hidden layers → softmax over classes. */
export interface MlpSize {
  /** Input features F = features.length, in this order. */
  features: readonly MlpFeature[];
  /** Width H_l of each hidden layer l. */
  hidden: readonly number[];
  /** Output classes C (logits). */
  classes: number;
  /** Non-linearity φ of every hidden layer (the output layer is linear). */
  activation: MlpActivation;
}

/** What a caller may leave out: features default to ['x', 'y'], hidden to [8, 8], tanh. */
export interface MlpOptions {
  classes: number;
  features?: readonly MlpFeature[];
  hidden?: readonly number[];
  activation?: MlpActivation;
}

export const DEFAULT_MLP_HIDDEN: readonly number[] = [8, 8];
export const DEFAULT_MLP_FEATURES: readonly MlpFeature[] = ['x', 'y'];

export function resolveMlpSize(o: MlpOptions): MlpSize {
  const size: MlpSize = {
    features: o.features ?? DEFAULT_MLP_FEATURES,
    hidden: o.hidden ?? DEFAULT_MLP_HIDDEN,
    classes: o.classes,
    activation: o.activation ?? 'tanh',
  };
  if (size.features.length === 0) throw new RangeError('The MLP needs at least one input feature.');
  if (!size.hidden.every((h) => Number.isInteger(h) && h >= 1)) {
    throw new RangeError(
      `Hidden layer widths must be whole numbers ≥ 1, got [${size.hidden.join(', ')}].`,
    );
  }
  if (!Number.isInteger(size.classes) || size.classes < 2) {
    throw new RangeError(`The MLP needs at least 2 classes, got ${size.classes}.`);
  }
  return size;
}

/** Fan-in of hidden layer l (F for the first layer, H_{l−1} after), without the bias. */
export function fanIn(size: Pick<MlpSize, 'features' | 'hidden'>, l: number): number {
  return l === 0 ? size.features.length : size.hidden[l - 1]!;
}

function feature(f: MlpFeature, x: number, y: number): number {
  switch (f) {
    case 'x':
      return x;
    case 'y':
      return y;
    case 'x2':
      return x * x;
    case 'y2':
      return y * y;
    case 'xy':
      return x * y;
    case 'sinx':
      return Math.sin(Math.PI * x);
    case 'siny':
      return Math.sin(Math.PI * y);
  }
}

/**
 * Points [N, 2] (row-major x, y) to the model input [N, F]. Done once per data set on the CPU
 * side, not in the graph: the features are data, not part of the trained function, so they
 * are not charged as training FLOPs.
 */
export function expandFeatures(
  points: Float32Array,
  features: readonly MlpFeature[],
): Float32Array {
  const N = points.length / 2;
  const F = features.length;
  const out = new Float32Array(N * F);
  for (let i = 0; i < N; i++) {
    const x = points[2 * i]!;
    const y = points[2 * i + 1]!;
    for (let f = 0; f < F; f++) out[i * F + f] = feature(features[f]!, x, y);
  }
  return out;
}

/**
 * Neurons of one hidden layer split into groups; each group runs as one matmul. A frozen
 * group's stacked matrix [fanIn+1, g] is cached (it is constant while frozen).
 */
interface NeuronGroup {
  neurons: number[];
  cached: tf.Tensor2D | null;
}

interface LayerGrouping {
  groups: NeuronGroup[];
  /**
   * With two groups: restores neuron order after the groups' outputs are concatenated as
   * [z_updated | z_frozen]; null when the layer runs as one group (already in neuron order).
   */
  restore: ((z: tf.Tensor2D) => tf.Tensor2D) | null;
  /** Index tensors behind `restore`, kept until the grouping changes. */
  indices: tf.Tensor1D[];
}

/** Options of `Mlp.forward` used by the mNTK (see `fastNeuronKernels`) and its oracle. */
export interface MlpForwardOptions {
  /**
   * Zero taps, per hidden layer [N, H_l], added to the pre-activation z_l = x̃_l·W_l. The
   * gradient of a scalar with respect to a tap is its gradient with respect to z_l, per sample.
   * Forces one group of all neurons per layer.
   */
  taps?: tf.Tensor2D[];
  /** Receives, per hidden layer, x̃_l = [h_{l−1}, 1] (kept with tf.keep; the caller disposes). */
  capture?: tf.Tensor2D[];
  /**
   * One group of all neurons per layer, each stacked from its variables (the oracle needs
   * every neuron's variable on the gradient tape, which the frozen group's cache is not).
   */
  allNeurons?: boolean;
}

/**
 * Column permutation z ↦ z[:, index] whose gradient is the inverse permutation dy ↦ dy[:, inverse]
 * (a permutation's transpose is its inverse). TF.js's own gather gradient would scatter with
 * UnsortedSegmentSum and transposes (several kernels, and missing on WASM); this is one gather
 * each way.
 */
function columnPermutation(
  index: tf.Tensor1D,
  inverse: tf.Tensor1D,
): (z: tf.Tensor2D) => tf.Tensor2D {
  return tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const z = args[0] as tf.Tensor2D;
    return {
      value: tf.gather(z, index, 1),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.gather(dy as tf.Tensor2D, inverse, 1),
    };
  }) as (z: tf.Tensor2D) => tf.Tensor2D;
}

/**
 * The Playground-style classifier: z_l = x̃_l W_l with x̃_l = [h_{l−1}, 1] (h_{−1} the
 * features), h_l = φ(z_l), logits = h_{L−1} W_out + b_out.
 *
 * Modules (docs/method.md, "Modules"): hidden neuron j of layer l is the column
 * θ_{l,j} = [w_{l,j}; b_{l,j}] ∈ R^{fanIn+1} of W_l, stored as its own variable (last entry the
 * bias). The output layer (W_out, b_out) is the always-trained backbone.
 */
export class Mlp implements LabModel {
  readonly size: MlpSize;
  readonly modules: ModuleInfo[];
  /** Per hidden layer l, per neuron j: θ_{l,j}, shape [fanIn_l + 1]. */
  readonly neurons: tf.Variable[][];
  /** W_out [H_{L−1}, C]. */
  readonly outW: tf.Variable;
  /** b_out [C]. */
  readonly outB: tf.Variable;
  private layers: LayerGrouping[];

  constructor(options: MlpOptions, rng: Rng) {
    this.size = resolveMlpSize(options);
    const { hidden, classes } = this.size;
    const vars = new VariableFactory('mlp', rng);
    // Glorot (Xavier) normal: std √(2 / (fan_in + fan_out)) for a layer's weight matrix,
    // biases zero; drawn layer by layer, neuron by neuron, so the rng fixes every weight.
    const glorot = (fin: number, fout: number): number => Math.sqrt(2 / (fin + fout));
    this.modules = [];
    this.neurons = hidden.map((H, l) => {
      const fin = fanIn(this.size, l);
      return Array.from({ length: H }, (_, j) => {
        this.modules.push({
          id: `L${l}.N${j}`,
          kind: 'neuron',
          layer: l,
          index: j,
          params: fin + 1,
        });
        // [fin + 1]: the neuron's incoming weights, then its bias.
        return vars.normal([fin + 1], glorot(fin, H), `L${l}.N${j}`, 1);
      });
    });
    const last = hidden.length > 0 ? hidden[hidden.length - 1]! : this.size.features.length;
    this.outW = vars.normal([last, classes], glorot(last, classes), 'out.W');
    this.outB = vars.fill([classes], 0, 'out.b');
    this.layers = this.neurons.map((vars) => ({
      groups: [{ neurons: vars.map((_, j) => j), cached: null }],
      restore: null,
      indices: [],
    }));
  }

  /** The output layer, always trained. */
  backboneVariables(): tf.Variable[] {
    return [this.outW, this.outB];
  }

  /** The variable θ_{l,j} of module `m` (order L0.N0, L0.N1, …, L1.N0, …). */
  moduleVariables(m: number): tf.Variable[] {
    const info = this.modules[m];
    if (!info) throw new Error(`No module ${m}`);
    return [this.neurons[info.layer]![info.index]!];
  }

  allVariables(): tf.Variable[] {
    return [...this.backboneVariables(), ...this.neurons.flat()];
  }

  /**
   * Regroups each hidden layer into an updated group and a frozen group, each one matmul
   * x̃_l·[θ_j …] (the updated group stacks its variables on every forward, so its weight
   * gradient is computed; the frozen group's stack is cached here and is no variable, so TF.js
   * prunes its weight gradient). The outputs come out as [z_updated | z_frozen] and one column
   * gather with a fixed permutation puts them back in neuron order before the activation —
   * chosen over permuting the next layer's weight rows because it keeps the next layer (and
   * the output layer) unchanged and costs one kernel each way. A layer whose neurons are all
   * updated or all frozen runs as one group with no gather.
   *
   * Measured on the cpu backend ([8, 8], batch 32, FusedAdam): a split layer runs 3 more
   * kernels forward (second matmul, concat, gather) and 4 more backward (gather, split, second
   * input-gradient matmul, their sum), while every frozen neuron removes about 4 kernels from
   * the optimizer; all updated 183 kernels per step, every other neuron frozen 173.
   *
   * Call again after assigning new values to frozen neurons directly (the cache would be stale).
   */
  setGroups(updating: boolean[]): void {
    if (updating.length !== this.modules.length) {
      throw new Error(`setGroups: ${updating.length} decisions for ${this.modules.length} modules`);
    }
    this.disposeGrouping();
    let first = 0;
    this.layers = this.neurons.map((vars) => {
      const offset = first;
      first += vars.length;
      const [on, off] = splitIndices(vars.length, (j) => updating[offset + j]!);
      const groups: NeuronGroup[] = [];
      if (on.length > 0) groups.push({ neurons: on, cached: null });
      if (off.length > 0) {
        // Kept: setGroups may be called inside a caller's tidy, and the cache must outlive it.
        const cached = tf.keep(
          tf.tidy(
            () =>
              tf.stack(
                off.map((j) => vars[j]!),
                1,
              ) as tf.Tensor2D,
          ),
        );
        groups.push({ neurons: off, cached });
      }
      if (groups.length === 1) return { groups, restore: null, indices: [] };
      // Column p of [z_on | z_off] holds neuron order[p]; neuron j sits at column position[j].
      const order = [...on, ...off];
      const position = new Int32Array(order.length);
      order.forEach((j, p) => (position[j] = p));
      const index = tf.keep(tf.tensor1d(position, 'int32'));
      const inverse = tf.keep(tf.tensor1d(Int32Array.from(order), 'int32'));
      return { groups, restore: columnPermutation(index, inverse), indices: [index, inverse] };
    });
  }

  private disposeGrouping(): void {
    for (const L of this.layers) {
      for (const g of L.groups) g.cached?.dispose();
      for (const t of L.indices) t.dispose();
    }
  }

  /**
   * Logits [N, C] for inputs x [N, F] (features already expanded, see `expandFeatures`).
   * Pre-activations z_l keep neuron order whatever the grouping.
   */
  forward(x: tf.Tensor2D, opts: MlpForwardOptions = {}): tf.Tensor2D {
    const N = x.shape[0];
    const single = opts.taps !== undefined || opts.allNeurons === true;
    const ones = tf.ones([N, 1]);
    let h: tf.Tensor2D = x;
    this.neurons.forEach((vars, l) => {
      const xAug = tf.concat([h, ones], 1) as tf.Tensor2D;
      if (opts.capture) opts.capture.push(tf.keep(xAug));
      const layer = this.layers[l]!;
      const groups: NeuronGroup[] = single
        ? [{ neurons: vars.map((_, j) => j), cached: null }]
        : layer.groups;
      const parts = groups.map(
        (g) =>
          tf.matMul(
            xAug,
            g.cached ??
              (tf.stack(
                g.neurons.map((j) => vars[j]!),
                1,
              ) as tf.Tensor2D),
          ) as tf.Tensor2D,
      );
      let z: tf.Tensor2D =
        parts.length === 1 ? parts[0]! : layer.restore!(tf.concat(parts, 1) as tf.Tensor2D);
      if (opts.taps) z = z.add(opts.taps[l]!) as tf.Tensor2D;
      h = this.size.activation === 'tanh' ? tf.tanh(z) : tf.relu(z);
    });
    // Not tf.fused.matMul: its custom gradient always computes the input gradient, even when
    // every hidden neuron is frozen and nothing below the output layer is trained.
    return tf.matMul(h, this.outW as tf.Tensor2D).add(this.outB) as tf.Tensor2D;
  }

  /**
   * Mean softmax cross-entropy over the batch; `y` is int32 labels [N] or one-hot [N, C]. With
   * `opts` (taps, capture) it is the training step that also takes the 'step' kernel
   * (`stepNeuronKernels`).
   */
  loss(
    x: tf.Tensor2D,
    y: tf.Tensor1D | tf.Tensor2D,
    opts: Pick<MlpForwardOptions, 'taps' | 'capture'> = {},
  ): tf.Scalar {
    const oneHot = y.rank === 1 ? tf.oneHot(y as tf.Tensor1D, this.size.classes).toFloat() : y;
    return sampleLosses(this.forward(x, opts), oneHot as tf.Tensor2D).mean() as tf.Scalar;
  }

  dispose(): void {
    this.disposeGrouping();
    this.layers = [];
    for (const v of this.allVariables()) v.dispose();
  }
}
