import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../rng';
import type { ModuleInfo } from '../../types';
import type { LabModel } from '../model';
import { sampleLosses, splitIndices } from '../model';
import { VariableFactory } from '../variables';

/**
 * Sizes of the small VGG: `channels.length` stages, each `convsPerStage` 3 × 3 convolutions
 * (stride 1, same padding, bias, ReLU) with `channels[s]` output channels, then a 2 × 2 max-pool
 * (stride 2, valid: side ← ⌊side/2⌋). The last feature map is flattened into the classifier:
 * `fc` hidden dense stages (bias, ReLU; none by default) and one dense layer producing
 * `classes` logits. Each conv layer's output channels, and each hidden classifier stage's
 * units, are cut into groups of `groupSize` consecutive ones: the MAT modules.
 */
export interface VggSize {
  channels: number[];
  /** Widths of the classifier's hidden dense stages (VGG's FC layers), each a multiple of g. */
  fc?: number[];
  convsPerStage: number;
  /** g, output channels per module (default 8, docs/method.md "Modules"); divides every stage. */
  groupSize: number;
  classes: number;
  /** Side of the square input image (28 for Fashion-MNIST). */
  inputSize: number;
  /** Channels of the input image (1 for Fashion-MNIST). */
  inChannels: number;
}

/** The lab's default: [16, 32] × 2 convs, g = 8 → 2 + 2 + 4 + 4 = 12 modules, 7 × 7 × 32 → 10. */
export const DEFAULT_VGG: VggSize = {
  channels: [16, 32],
  convsPerStage: 2,
  groupSize: 8,
  classes: 10,
  inputSize: 28,
  inChannels: 1,
};

/** One conv layer: its input/output channels, its spatial side S (input = output, same padding). */
export interface ConvShape {
  stage: number;
  cin: number;
  cout: number;
  side: number;
  /** Number of filter groups, cout / g. */
  groups: number;
  /** Whether a 2 × 2 max-pool follows (last conv of a stage). */
  poolAfter: boolean;
}

/** One hidden dense stage of the classifier: input and output width, number of unit groups. */
export interface FcShape {
  cin: number;
  cout: number;
  groups: number;
}

export interface VggLayout {
  convs: ConvShape[];
  /** The classifier's hidden dense stages (empty by default). */
  fcs: FcShape[];
  /** Side of the last feature map (after the last pool). */
  finalSide: number;
  /** F = finalSide² · last channels, the classifier's input width. */
  features: number;
  /** Input width of the output layer: the last hidden stage's width, or F. */
  logitsIn: number;
}

/** The layer shapes a size implies; validates it. */
export function vggLayout(size: VggSize): VggLayout {
  const { channels, convsPerStage, groupSize: g, classes, inputSize, inChannels } = size;
  const posInt = (v: number) => Number.isInteger(v) && v >= 1;
  if (
    channels.length === 0 ||
    !posInt(convsPerStage) ||
    !posInt(g) ||
    !posInt(classes) ||
    !posInt(inChannels)
  ) {
    throw new RangeError('The VGG needs at least one stage, and positive integer sizes.');
  }
  if (inputSize >> channels.length < 1) {
    throw new RangeError(
      `An input of side ${inputSize} cannot be pooled ${channels.length} times.`,
    );
  }
  const convs: ConvShape[] = [];
  let cin = inChannels;
  let side = inputSize;
  channels.forEach((c, s) => {
    if (!posInt(c) || c % g !== 0) {
      throw new RangeError(
        `Stage ${s} has ${c} channels, not a positive multiple of the group size ${g}.`,
      );
    }
    for (let j = 0; j < convsPerStage; j++) {
      convs.push({
        stage: s,
        cin,
        cout: c,
        side,
        groups: c / g,
        poolAfter: j === convsPerStage - 1,
      });
      cin = c;
    }
    side = Math.floor(side / 2);
  });
  const features = side * side * cin;
  const fcs: FcShape[] = [];
  let width = features;
  (size.fc ?? []).forEach((w, s) => {
    if (!posInt(w) || w % g !== 0) {
      throw new RangeError(
        `Classifier stage ${s} has ${w} units, not a positive multiple of the group size ${g}.`,
      );
    }
    fcs.push({ cin: width, cout: w, groups: w / g });
    width = w;
  });
  return { convs, fcs, finalSide: side, features, logitsIn: width };
}

/** Parameters of one filter group of conv layer `c`: 3·3·cin·g weights + g biases. */
export function filterGroupParams(c: ConvShape, g: number): number {
  return 9 * c.cin * g + g;
}

/** Parameters of one unit group of classifier stage `f`: cin·g weights + g biases. */
export function unitGroupParams(f: FcShape, g: number): number {
  return f.cin * g + g;
}

/**
 * Zero "taps" added to every conv's pre-activation z_l = conv(x_l, W_l) + b_l, one
 * [N, S, S, cout] tensor per conv layer. The gradient of Σ_i s(x_i) with respect to tap l is
 * ∂s(x_i)/∂z_l for each sample i separately (samples do not interact in the forward pass).
 */
export type VggTaps = tf.Tensor4D[];

/**
 * Zero taps on each hidden classifier stage's pre-activation z_s = x_s W_s + b_s, [N, width_s]
 * per stage (the classifier's counterpart of `VggTaps`).
 */
export type FcTaps = tf.Tensor2D[];

/** A part of a classifier stage that runs as one matmul: some of its groups, ascending. */
interface FcPart {
  groups: number[];
  /** For a frozen part: its weights [cin, |groups|·g] (rows in the input's order) and biases. */
  cached: { w: tf.Tensor2D; b: tf.Tensor1D } | null;
}

interface FcPlan {
  parts: FcPart[];
  /** Gathers the parts' concatenated output back into canonical unit order; null if it is. */
  restore: Permutation | null;
}

/** A part of a conv layer that runs as one conv2d: some of its groups, in ascending order. */
interface ConvPart {
  groups: number[];
  /**
   * For a frozen part: its filters [3, 3, cin, |groups|·g] (input axis already in the previous
   * layer's physical channel order) and biases, concatenated once by `setGroups` and constant
   * until the next call. Not variables, so TF.js computes no filter gradient for them.
   */
  cached: { w: tf.Tensor4D; b: tf.Tensor1D } | null;
}

/** A channel permutation p (physical position → canonical channel) and its inverse. */
interface Permutation {
  perm: tf.Tensor1D;
  inverse: tf.Tensor1D;
}

interface LayerPlan {
  parts: ConvPart[];
  /** How this layer's output channels are laid out; null = canonical order. */
  order: Permutation | null;
}

/**
 * gather(x, perm, axis) whose gradient is gather(dy, inverse, axis): a permutation's
 * transpose is its inverse. TF.js's own gather gradient is an UnsortedSegmentSum, which the
 * WASM backend lacks, and a scatter-add where a gather suffices.
 */
function permuteAxis(x: tf.Tensor, p: Permutation, axis: number): tf.Tensor {
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    return {
      value: tf.gather(input, p.perm, axis),
      gradFunc: (dy: tf.Tensor | tf.Tensor[]) => tf.gather(dy as tf.Tensor, p.inverse, axis),
    };
  });
  return f(x);
}

function makePermutation(perm: Int32Array): Permutation {
  const inverse = new Int32Array(perm.length);
  perm.forEach((c, p) => (inverse[c] = p));
  return {
    perm: tf.keep(tf.tensor1d(perm, 'int32')),
    inverse: tf.keep(tf.tensor1d(inverse, 'int32')),
  };
}

/**
 * How a conv layer computes its filter gradient. Both run the forward as tf.conv2d and the
 * input gradient as Conv2DBackpropInput; both skip the filter gradient of frozen (cached) parts.
 * - `conv2d`: TF.js's own gradient, Conv2DBackpropFilter. Fewest kernels; used on WebGPU/WebGL.
 * - `im2col`: the filter gradient as one matmul, dW = Pᵀ·dz with P the patches (`im2col3x3`)
 *   of the conv input, through a custom gradient that the model builds per part with exactly the
 *   inputs that need a gradient (see `convPatchGrad`). Needed on WASM, which has no
 *   Conv2DBackpropFilter kernel; on the cpu backend it is also faster, since cpu's
 *   Conv2DBackpropFilter is a naive loop (≈ 95 % of a default-VGG step's kernel time there).
 * - `auto`: `conv2d` where the backend has Conv2DBackpropFilter, except on cpu; else `im2col`.
 * The probing forward (with taps) uses plain tf.conv2d: it needs no filter gradient at all.
 */
export type ConvImpl = 'conv2d' | 'im2col' | 'auto';

/** The implementation `auto` resolves to on the current backend. */
export function resolveConvImpl(impl: ConvImpl): 'conv2d' | 'im2col' {
  if (impl !== 'auto') return impl;
  const backend = tf.getBackend();
  return backend !== 'cpu' && tf.getKernel('Conv2DBackpropFilter', backend) ? 'conv2d' : 'im2col';
}

/**
 * z = conv2d(x, W) (3 × 3, stride 1, same) with a hand-written gradient: dx by
 * Conv2DBackpropInput (tf.conv2dTranspose) when `gradX`, dW = im2col(x)ᵀ · dz (a [9·cin, cout]
 * matmul, reshaped to W's shape) when `gradW`. A custom gradient computes all its inputs'
 * gradients eagerly, so only the tensors that need one are passed as inputs; the others are
 * closed over as constants. The caller must therefore say exactly which need one: `gradX` iff x
 * depends on a trained parameter, `gradW` iff W does.
 */
function convPatchGrad(
  x: tf.Tensor4D,
  w: tf.Tensor4D,
  gradX: boolean,
  gradW: boolean,
): tf.Tensor4D {
  if (!gradX && !gradW) return tf.conv2d(x, w, 1, 'same');
  const [N, S, S2, cin] = x.shape;
  const cout = w.shape[3];
  const f = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    // The forward runs in its own tidy: the gradient may only use what is saved.
    save([x, w]);
    return {
      value: tf.conv2d(x, w, 1, 'same'),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
        const dz = dy as tf.Tensor4D;
        const xi = saved[0] as tf.Tensor4D;
        const wi = saved[1] as tf.Tensor4D;
        const grads: tf.Tensor[] = [];
        if (gradX) grads.push(tf.conv2dTranspose(dz, wi, [N, S, S2, cin], 1, 'same'));
        if (gradW) {
          const P = im2col3x3(xi).reshape([N * S * S2, 9 * cin]) as tf.Tensor2D;
          const dW = tf.matMul(P, dz.reshape([N * S * S2, cout]) as tf.Tensor2D, true, false);
          grads.push(dW.reshape(wi.shape));
        }
        return grads;
      },
    };
  });
  return (gradX && gradW ? f(x, w) : f(gradX ? x : w)) as tf.Tensor4D;
}

/**
 * im2col of a 3 × 3, stride-1, same-padded conv: [N, S, S, c] → [N, S, S, 9·c] (+1 with
 * `ones`), where channel (3·dy + dx)·c + ch of pixel (h, w) is x_pad[h + dy, w + dx, ch] (x
 * zero-padded by one pixel on each side, as TF.js's 'same' padding for a 3 × 3 kernel), and the
 * optional last channel is 1 (the bias's input). The column order matches W [3, 3, cin, cout]
 * reshaped to [9·cin, cout], so conv(x, W) = im2col(x) · W. Pure copies: a pad, 9 slices, one
 * concat (an identity-filter conv2d would be one kernel but 9·c times the multiply-adds).
 */
export function im2col3x3(x: tf.Tensor4D, ones = false): tf.Tensor4D {
  const [N, S, W, c] = x.shape;
  const padded = tf.pad(x, [
    [0, 0],
    [1, 1],
    [1, 1],
    [0, 0],
  ]);
  const cols: tf.Tensor4D[] = [];
  for (let dy = 0; dy < 3; dy++) {
    for (let dx = 0; dx < 3; dx++) cols.push(tf.slice(padded, [0, dy, dx, 0], [N, S, W, c]));
  }
  if (ones) cols.push(tf.ones([N, S, W, 1]));
  return tf.concat(cols, 3);
}

/**
 * A small VGG without BatchNorm: conv3×3 + bias + ReLU blocks, max-pools, one dense classifier.
 *
 * Why no BatchNorm: the fast mNTK rests on samples being independent in the forward pass —
 * the gradient of Σ_i s(x_i) with respect to sample i's activations must be that of s(x_i)
 * alone, and Θ_m[i, j] must be a function of x_i and x_j only. Batch statistics couple every
 * sample to the whole batch (and to the R'-fold replicated probe batch differently than to a
 * training batch). Freezing the statistics while probing would restore independence but make
 * the probed function differ from the trained one; at this depth (4 convs) plain He
 * initialisation trains well without normalisation, so none is used.
 *
 * Modules: group q of conv layer l is channels q·g … q·g + g − 1, with its own two variables
 * `w` [3, 3, cin, g] and `b` [g] (two variables rather than one fused [9·cin + 1, g] matrix, so
 * a step needs no slicing: the conv reads `w` as-is). Module order is layer-major: C0.G0,
 * C0.G1, …, C1.G0, …; module m ↔ (layer, group) via `modules[m]`.
 */
export class SmallVgg implements LabModel {
  readonly size: VggSize;
  readonly layout: VggLayout;
  readonly modules: ModuleInfo[];
  /** Per conv layer, per group: filters [3, 3, cin, g] and biases [g]. */
  readonly convW: tf.Variable[][];
  readonly convB: tf.Variable[][];
  /** Per hidden classifier stage, per unit group: weights [cin, g] and biases [g]. */
  readonly fcW: tf.Variable[][];
  readonly fcB: tf.Variable[][];
  /**
   * Output layer [logitsIn, classes] (without hidden stages, rows in canonical flatten order
   * h·S·C + w·C + c) and bias.
   */
  readonly denseW: tf.Variable;
  readonly denseB: tf.Variable;
  /** First module index of each conv layer. */
  private readonly moduleOffset: number[];
  /** First module index of each hidden classifier stage. */
  private readonly fcOffset: number[];
  private plan: LayerPlan[];
  private fcPlan: FcPlan[];
  /** Row permutation of the classifier when the last conv's output is not canonical. */
  private denseOrder: Permutation | null = null;
  /** First conv layer with an updated group under the current grouping (∞ if none). */
  private earliestUpdated = 0;
  /** How the convs run (see `ConvImpl`); resolved at every forward, so a backend switch is seen. */
  convImpl: ConvImpl;

  constructor(size: VggSize, rng: Rng, opts: { convImpl?: ConvImpl } = {}) {
    this.size = size;
    this.convImpl = opts.convImpl ?? 'auto';
    this.layout = vggLayout(size);
    const g = size.groupSize;
    const vars = new VariableFactory('vgg', rng);
    this.convW = [];
    this.convB = [];
    this.modules = [];
    this.moduleOffset = [];
    this.layout.convs.forEach((c, l) => {
      // He initialisation: Var(w) = 2 / fan-in keeps the ReLU activations' scale through depth.
      const std = Math.sqrt(2 / (9 * c.cin));
      this.moduleOffset.push(this.modules.length);
      const ws: tf.Variable[] = [];
      const bs: tf.Variable[] = [];
      for (let grp = 0; grp < c.groups; grp++) {
        ws.push(vars.normal([3, 3, c.cin, g], std, `C${l}.G${grp}.w`));
        bs.push(vars.fill([g], 0, `C${l}.G${grp}.b`));
        this.modules.push({
          id: `C${l}.G${grp}`,
          kind: 'filters',
          layer: l,
          index: grp,
          params: filterGroupParams(c, g),
        });
      }
      this.convW.push(ws);
      this.convB.push(bs);
    });
    // The classifier's hidden stages come after the convs in the draw order (and in module
    // order, at layers L, L + 1, …), so a VGG without them draws every weight as before.
    this.fcW = [];
    this.fcB = [];
    this.fcOffset = [];
    const L = this.layout.convs.length;
    this.layout.fcs.forEach((f, s) => {
      const std = Math.sqrt(2 / f.cin);
      this.fcOffset.push(this.modules.length);
      const ws: tf.Variable[] = [];
      const bs: tf.Variable[] = [];
      for (let grp = 0; grp < f.groups; grp++) {
        ws.push(vars.normal([f.cin, g], std, `F${s}.G${grp}.w`));
        bs.push(vars.fill([g], 0, `F${s}.G${grp}.b`));
        this.modules.push({
          id: `F${s}.G${grp}`,
          kind: 'units',
          layer: L + s,
          index: grp,
          params: unitGroupParams(f, g),
        });
      }
      this.fcW.push(ws);
      this.fcB.push(bs);
    });
    const F = this.layout.logitsIn;
    this.denseW = vars.normal([F, size.classes], Math.sqrt(1 / F), 'dense.w');
    this.denseB = vars.fill([size.classes], 0, 'dense.b');
    this.plan = this.canonicalPlan();
    this.fcPlan = this.canonicalFcPlan();
  }

  /** The output layer, always trained. */
  backboneVariables(): tf.Variable[] {
    return [this.denseW, this.denseB];
  }

  moduleVariables(m: number): tf.Variable[] {
    const info = this.modules[m];
    if (!info) throw new Error(`No module ${m}`);
    if (info.kind === 'units') {
      const s = info.layer - this.layout.convs.length;
      return [this.fcW[s]![info.index]!, this.fcB[s]![info.index]!];
    }
    return [this.convW[info.layer]![info.index]!, this.convB[info.layer]![info.index]!];
  }

  /** Index of the first hidden classifier stage's first module (= the filter groups' count). */
  get firstUnits(): number {
    return this.fcOffset[0] ?? this.modules.length;
  }

  allVariables(): tf.Variable[] {
    return [
      ...this.backboneVariables(),
      ...this.modules.flatMap((_, m) => this.moduleVariables(m)),
    ];
  }

  /** One part of all groups per layer, canonical channel order (probing, oracle). */
  private canonicalPlan(): LayerPlan[] {
    return this.layout.convs.map((c) => ({
      parts: [{ groups: Array.from({ length: c.groups }, (_, grp) => grp), cached: null }],
      order: null,
    }));
  }

  /** One part of all unit groups per classifier stage, canonical order. */
  private canonicalFcPlan(): FcPlan[] {
    return this.layout.fcs.map((f) => ({
      parts: [{ groups: Array.from({ length: f.groups }, (_, grp) => grp), cached: null }],
      restore: null,
    }));
  }

  /**
   * Each hidden classifier stage as an updated and a frozen part, one matmul each (the frozen
   * part's weights concatenated once and cached, so no weight gradient runs for it). The parts'
   * outputs are concatenated [updated, frozen] and gathered back into canonical unit order (a
   * [N, width] gather, cheap next to the convs' activations). `firstRows`: the permutation of
   * the first stage's input rows when the last conv's output is permuted.
   */
  private planClassifier(updating: boolean[], firstRows: Permutation | null): FcPlan[] {
    const g = this.size.groupSize;
    return this.layout.fcs.map((f, s) => {
      const [on, off] = splitIndices(f.groups, (grp) => updating[this.fcOffset[s]! + grp]!);
      const parts: FcPart[] = [];
      if (on.length > 0) parts.push({ groups: on, cached: null });
      if (off.length > 0) {
        const rows = s === 0 ? firstRows : null;
        const cached = tf.tidy(() => {
          let w = this.concatUnits(s, off);
          if (rows) w = tf.gather(w, rows.perm, 0);
          return { w: tf.keep(tf.clone(w)), b: tf.keep(tf.clone(this.concatUnitBiases(s, off))) };
        });
        parts.push({ groups: off, cached });
      }
      const physical = [...on, ...off];
      let restore: Permutation | null = null;
      if (!physical.every((grp, p) => grp === p)) {
        // Physical position p holds canonical unit phys[p]; gathering with the inverse order
        // puts canonical unit c back at c.
        const phys = physical.flatMap((grp) => Array.from({ length: g }, (_, j) => grp * g + j));
        const back = new Int32Array(phys.length);
        phys.forEach((c, p) => (back[c] = p));
        restore = makePermutation(back);
      }
      return { parts, restore };
    });
  }

  private concatUnits(s: number, groups: number[]): tf.Tensor2D {
    const ws = groups.map((grp) => this.fcW[s]![grp]! as tf.Tensor2D);
    return ws.length === 1 ? ws[0]! : tf.concat(ws, 1);
  }

  private concatUnitBiases(s: number, groups: number[]): tf.Tensor1D {
    const bs = groups.map((grp) => this.fcB[s]![grp]! as tf.Tensor1D);
    return bs.length === 1 ? bs[0]! : tf.concat(bs, 0);
  }

  /**
   * Splits each conv layer into an updated part and a frozen part, each run as one conv2d
   * (so ≤ 2 convs per layer, whatever the number of groups). The frozen part's filters are
   * concatenated once here and cached; they are not variables, so the step computes no filter
   * gradient for them (only the input gradient through them, when something earlier trains).
   *
   * Layout: the layer's output is concat([updated part, frozen part]) along channels, i.e. the
   * channels are *permuted* (physical position p holds canonical channel perm[p]). Instead of
   * permuting the activations back (a gather over N·S²·C values per layer and step), the next
   * consumer reads them permuted: the next conv's filters are gathered along their input axis
   * (a few thousand weights; for its frozen part once, here), and the classifier's rows likewise.
   * Max-pool and ReLU act per channel, so they do not care. The function computed is the same.
   *
   * The caches hold the weights as they are now: call again after assigning the variables.
   *
   * Measured (default VGG, batch 32, one step = forward + backward + FusedAdam, tf.profile;
   * "half" = every other group frozen, so every layer is split and permuted):
   * - kernels, `conv2d`: 278 all updated (183 forward/backward + 95 Adam) vs 274 half
   *   (215 + 59); `im2col`: 338 (243 + 95) vs 337 (278 + 59). Splitting adds ≈ 8 per split
   *   layer (second conv and its input gradient, output concat and its split, bias concat, the
   *   permutation gather), the 12 fewer variables save ≈ 36 Adam kernels. The naive layout, one conv
   *   + bias add per group and the outputs concatenated, measured 352 all vs 297 half (257 vs
   *   238 forward/backward): 74 more kernels than this one when everything trains.
   * - ms/step on a shared 2-core machine, Node: WASM (`im2col`) 359 all vs 337 half, 135 with
   *   C0–C1 frozen and half of C2–C3, 17 with all frozen; cpu `im2col` 5.0 s vs 5.5 s (9 strided
   *   slices per layer dominate), cpu `conv2d` 22.8 s vs 12.5 s (Conv2DBackpropFilter dominates).
   */
  setGroups(updating: boolean[]): void {
    if (updating.length !== this.modules.length) {
      throw new Error(`setGroups needs ${this.modules.length} decisions, got ${updating.length}.`);
    }
    this.disposePlan();
    const g = this.size.groupSize;
    const first = this.layout.convs.findIndex((c, l) =>
      updating.slice(this.moduleOffset[l]!, this.moduleOffset[l]! + c.groups).some((u) => u),
    );
    this.earliestUpdated = first < 0 ? Infinity : first;
    let inOrder: Permutation | null = null;
    this.plan = this.layout.convs.map((c, l) => {
      const [on, off] = splitIndices(c.groups, (grp) => updating[this.moduleOffset[l]! + grp]!);
      const parts: ConvPart[] = [];
      if (on.length > 0) parts.push({ groups: on, cached: null });
      if (off.length > 0) {
        const prev = inOrder;
        const cached = tf.tidy(() => {
          let w = this.concatFilters(l, off);
          if (prev) w = tf.gather(w, prev.perm, 2);
          // A single group's filter is the variable itself: clone (shares the data, no copy)
          // so disposing the cache later leaves the variable alive.
          return { w: tf.keep(tf.clone(w)), b: tf.keep(tf.clone(this.concatBiases(l, off))) };
        });
        parts.push({ groups: off, cached });
      }
      const physical = [...on, ...off];
      const canonical = physical.every((grp, p) => grp === p);
      const order = canonical
        ? null
        : makePermutation(
            Int32Array.from(
              physical.flatMap((grp) => Array.from({ length: g }, (_, j) => grp * g + j)),
            ),
          );
      inOrder = order;
      return { parts, order };
    });
    const last = inOrder as Permutation | null;
    if (last) {
      // Flatten index of (h, w, physical channel p) is s·C + p with s = h·S + w; its canonical
      // row is s·C + perm[p].
      const C = this.layout.convs[this.layout.convs.length - 1]!.cout;
      const S2 = this.layout.finalSide ** 2;
      const perm = last.perm.dataSync();
      const rows = new Int32Array(S2 * C);
      for (let s = 0; s < S2; s++) for (let p = 0; p < C; p++) rows[s * C + p] = s * C + perm[p]!;
      this.denseOrder = makePermutation(rows);
    }
    this.fcPlan = this.planClassifier(updating, this.denseOrder);
  }

  private concatFilters(l: number, groups: number[]): tf.Tensor4D {
    const ws = groups.map((grp) => this.convW[l]![grp]! as tf.Tensor4D);
    return ws.length === 1 ? ws[0]! : tf.concat(ws, 3);
  }

  private concatBiases(l: number, groups: number[]): tf.Tensor1D {
    const bs = groups.map((grp) => this.convB[l]![grp]! as tf.Tensor1D);
    return bs.length === 1 ? bs[0]! : tf.concat(bs, 0);
  }

  private disposePlan(): void {
    for (const layer of this.plan) {
      for (const part of layer.parts) {
        part.cached?.w.dispose();
        part.cached?.b.dispose();
      }
      layer.order?.perm.dispose();
      layer.order?.inverse.dispose();
    }
    this.plan = this.canonicalPlan();
    this.earliestUpdated = 0;
    this.denseOrder?.perm.dispose();
    this.denseOrder?.inverse.dispose();
    this.denseOrder = null;
    for (const stage of this.fcPlan) {
      for (const part of stage.parts) {
        part.cached?.w.dispose();
        part.cached?.b.dispose();
      }
      stage.restore?.perm.dispose();
      stage.restore?.inverse.dispose();
    }
    this.fcPlan = this.canonicalFcPlan();
  }

  /**
   * Logits [N, classes] of images x [N, S, S, inChannels].
   *
   * z_l = conv(x_l, W_l) + b_l (+ tap_l), x_{l+1} = ReLU(z_l), max-pooled after each stage;
   * logits = flatten(x_L) · W_d + b_d. With `taps` or `allGroups`, every layer runs one conv of
   * all its groups in canonical order; with `capture`, each conv's input x_l [N, S, S, cin] is
   * kept (tf.keep) in layer order for the caller to dispose.
   */
  forward(
    x: tf.Tensor4D,
    opts: {
      taps?: VggTaps;
      capture?: tf.Tensor4D[];
      fcTaps?: FcTaps;
      fcCapture?: tf.Tensor2D[];
      allGroups?: boolean;
    } = {},
  ): tf.Tensor2D {
    const canonical = opts.taps !== undefined || opts.allGroups === true;
    const plan = canonical ? this.canonicalPlan() : this.plan;
    // The probe (taps) differentiates to activations only, never to filters: plain conv2d.
    const im2col = !opts.taps && resolveConvImpl(this.convImpl) === 'im2col';
    // Conv inputs from layer e + 1 on depend on trained parameters (the canonical layout treats
    // every group as trained).
    const e = canonical ? 0 : this.earliestUpdated;
    let h: tf.Tensor4D = x;
    let inOrder: Permutation | null = null;
    this.layout.convs.forEach((c, l) => {
      if (opts.capture) opts.capture.push(tf.keep(h));
      const { parts, order } = plan[l]!;
      const zs: tf.Tensor4D[] = [];
      const bs: tf.Tensor1D[] = [];
      for (const part of parts) {
        let w = part.cached?.w;
        if (!w) {
          w = this.concatFilters(l, part.groups);
          if (inOrder) w = permuteAxis(w, inOrder, 2) as tf.Tensor4D;
        }
        zs.push(
          im2col ? convPatchGrad(h, w, l > e, part.cached === null) : tf.conv2d(h, w, 1, 'same'),
        );
        bs.push(part.cached?.b ?? this.concatBiases(l, part.groups));
      }
      let z = zs.length === 1 ? zs[0]! : tf.concat(zs, 3);
      z = z.add(bs.length === 1 ? bs[0]! : tf.concat(bs, 0));
      if (opts.taps) z = z.add(opts.taps[l]!);
      h = tf.relu(z);
      if (c.poolAfter) h = tf.maxPool(h, 2, 2, 'valid');
      inOrder = order;
    });
    let flat = h.reshape([h.shape[0], this.layout.features]) as tf.Tensor2D;
    // The first dense layer after the convs reads their (maybe permuted) output: its rows are
    // gathered to match (`denseOrder`); the frozen part of a classifier stage has them cached so.
    const rowsIn = !canonical ? this.denseOrder : null;
    const fcPlan = canonical ? this.canonicalFcPlan() : this.fcPlan;
    this.layout.fcs.forEach((_, s) => {
      if (opts.fcCapture) opts.fcCapture.push(tf.keep(flat));
      const { parts, restore } = fcPlan[s]!;
      const zs: tf.Tensor2D[] = [];
      const bs: tf.Tensor1D[] = [];
      for (const part of parts) {
        let w = part.cached?.w;
        if (!w) {
          w = this.concatUnits(s, part.groups);
          if (s === 0 && rowsIn) w = permuteAxis(w, rowsIn, 0) as tf.Tensor2D;
        }
        zs.push(tf.matMul(flat, w));
        bs.push(part.cached?.b ?? this.concatUnitBiases(s, part.groups));
      }
      let z = zs.length === 1 ? zs[0]! : (tf.concat(zs, 1) as tf.Tensor2D);
      z = z.add(bs.length === 1 ? bs[0]! : tf.concat(bs, 0)) as tf.Tensor2D;
      if (restore) z = permuteAxis(z, restore, 1) as tf.Tensor2D;
      if (opts.fcTaps) z = z.add(opts.fcTaps[s]!) as tf.Tensor2D;
      flat = tf.relu(z) as tf.Tensor2D;
    });
    const wd =
      this.layout.fcs.length === 0 && rowsIn
        ? (permuteAxis(this.denseW, rowsIn, 0) as tf.Tensor2D)
        : (this.denseW as tf.Tensor2D);
    return tf.matMul(flat, wd).add(this.denseB);
  }

  /**
   * Mean cross-entropy of `labels` (int32 [N]) under `forward(x, opts)` (taps and capture: the
   * training step that also takes the 'step' kernel, `stepFilterGroupKernels`).
   */
  loss(
    x: tf.Tensor4D,
    labels: tf.Tensor1D,
    opts: {
      taps?: VggTaps;
      capture?: tf.Tensor4D[];
      fcTaps?: FcTaps;
      fcCapture?: tf.Tensor2D[];
    } = {},
  ): tf.Scalar {
    const logits = this.forward(x, opts);
    return sampleLosses(
      logits,
      tf.oneHot(labels, this.size.classes).toFloat() as tf.Tensor2D,
    ).mean();
  }

  dispose(): void {
    this.disposePlan();
    for (const v of this.allVariables()) v.dispose();
  }
}

/** Whether a model has hidden classifier stages (`units` modules). */
export function hasClassifierStages(model: SmallVgg): boolean {
  return model.layout.fcs.length > 0;
}
