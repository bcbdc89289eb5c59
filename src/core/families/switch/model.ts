import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../rng';
import type { ModuleInfo } from '../../types';
import type { BertSize } from '../bert/model';
import type { Captured, ForwardInput, Taps } from '../transformer/model';
import { INIT_STD, MlmTransformer, disposeHeadGroups } from '../transformer/model';
import type { ModuleSelection } from '../transformer/selection';
import { HEADS_ONLY } from '../transformer/selection';
import type { LabModel } from '../model';
import { splitIndices } from '../model';
import { appendOnes, stackCopies } from '../../fused/copies';

/** Sizes of the tiny Switch Transformer: a tiny BERT whose FFNs are E routed experts. */
export interface SwitchSize extends BertSize {
  /** E, experts per layer (each a MAT module). */
  experts: number;
  /** Capacity factor c: an expert takes at most C = ceil(c · tokens / E) tokens per group. */
  capacityFactor: number;
}

/** α_lb of the Switch Transformer's load-balancing loss α_lb · E · Σ_e f_e · P_e. */
export const LOAD_BALANCE_ALPHA = 0.01;

/**
 * Expert capacity C = ceil(c · tokens / E), at most `tokens` (more slots than tokens would only
 * be padding). The −1e-9 keeps float noise (1.2 · 10 / 3 = 4.000000000000001) from adding a slot.
 */
export function expertCapacity(tokens: number, experts: number, factor: number): number {
  return Math.min(tokens, Math.max(1, Math.ceil((factor * tokens) / experts - 1e-9)));
}

/**
 * A Switch layer's routed feed-forward part: the router (backbone, or with `shared` trained with
 * the layer's experts), the experts, LayerNorm.
 */
interface FeedForward {
  /** Router W_r [d, E] (not a module): gate probabilities p = softmax(x W_r). */
  router: tf.Variable;
  /** Per expert e: W̃1 [d+1, dFF], the first FFN matrix with its bias as the last row. */
  w1: tf.Variable[];
  /** Per expert e: W̃2 [dFF+1, d], the second FFN matrix with its bias as the last row. */
  w2: tf.Variable[];
}

/** Experts of one layer run as one batched matmul per group (see `setGroups`). */
export interface ExpertGroup {
  experts: number[];
  /** Stacked weights cached for a frozen group: W̃1 [g, d+1, dFF], W̃2 [g, dFF+1, d]. */
  cached: { w1: tf.Tensor3D; w2: tf.Tensor3D } | null;
}

/**
 * Zero taps (see bert.ts `Taps`): the attention taps of TinyBert plus, per layer, one on every
 * expert's hidden pre-activation h = x̃ W̃1, [E, G·C, dFF], and one on every expert's output
 * y = [relu(h), 1] W̃2, [E, G·C, d] (slot layout, before the gate multiplies it).
 */
export interface SwitchTaps extends Taps {
  h: tf.Tensor3D[];
  out: tf.Tensor3D[];
}

/**
 * Activations kept from a forward pass (tf.keep; the caller disposes them): `Captured`'s (the
 * heads' inputs, and the embeddings' with embedding taps), and the experts'.
 */
export interface SwitchCaptured extends Captured {
  /** Per layer: [N·T, d], the FFN input x (after the attention LayerNorm), token layout. */
  ffnIn: tf.Tensor2D[];
  /** Per layer: [E, G·C, dFF], relu(h) of every slot (slot layout). */
  hidden: tf.Tensor3D[];
  /** Per layer: [N·T] int32, the slot of each token (0 for a dropped token; see `mask`). */
  slot: tf.Tensor1D[];
  /** Per layer: [N·T, E], the dispatch mask: 1 iff the token is routed to e and kept. */
  mask: tf.Tensor2D[];
  /** Per layer, when given: [E, G·C, d+1], the experts' inputs [x, 1] in slot layout. */
  slotIn?: tf.Tensor3D[];
}

/**
 * A routing fixed from outside (the oracle): per layer the dispatch mask [N·T, E] to use
 * instead of argmax + capacity, and the slots per expert and group (≥ the kept tokens of any
 * expert in any group).
 */
export interface FixedRouting {
  masks: tf.Tensor2D[];
  capacity: number;
  /**
   * Per layer, when given: f_e for the load-balancing loss instead of the fractions of this
   * pass's own tokens (the oracle of the step kernel passes its batch's).
   */
  fractions?: tf.Tensor1D[];
}

export interface SwitchForwardOptions {
  taps?: SwitchTaps;
  capture?: SwitchCaptured;
  /** One group of all heads and one of all experts per layer, weights read from variables. */
  allModules?: boolean;
  /**
   * G: the N sequences split into G equal consecutive blocks, each routed on its own with
   * capacity C = ceil(c · N·T/G / E) (GShard's "groups"). The probe passes G = R' so each
   * replica of the probe batch is routed exactly as the unreplicated batch (default 1).
   */
  routingGroups?: number;
  routing?: FixedRouting;
  /** Receives each layer's dispatch mask [N·T, E] (kept; the caller disposes). */
  masks?: tf.Tensor2D[];
  /** Receives each layer's f_e [E] (kept; the caller disposes). */
  fractions?: tf.Tensor1D[];
}

export interface SwitchOutput {
  /** Logits at the masked positions, [N·M, V]. */
  logits: tf.Tensor2D;
  /** Load-balancing loss Σ_layers α_lb · E · Σ_e f_e · P_e (a scalar, added to the training loss). */
  aux: tf.Scalar;
}

/** The routing of one layer: constants for the rest of the forward pass (no gradient). */
interface Route {
  /** [N·T, E] 0/1. */
  mask: tf.Tensor2D;
  /** [N·T] int32: rank(e)·G·C + g·C + (position of the token among e's kept tokens in group g). */
  slot: tf.Tensor1D;
  /** [N·T, 1]: 1 iff the token is kept (routed and within capacity). */
  kept: tf.Tensor2D;
  /** [E·G·C] int32: the token in each slot (token 0 for an empty slot, whose output is unread). */
  source: tf.Tensor1D;
  /** [E·G·C, 1]: 1 iff the slot holds a token. */
  occupied: tf.Tensor2D;
  /** [E]: f_e, the fraction of tokens whose argmax is e (before capacity). */
  frac: tf.Tensor1D;
}

/**
 * Row gather y = table[idx] through a routing: `idx` maps each output row to one table row,
 * and every table row that gets a nonzero gradient is read by exactly one output row, the one
 * `inverse` names (`inverseValid` 1) — the others get none. So the gradient is again a gather,
 * dtable = dy[inverse] ⊙ inverseValid, instead of a scatter-add (TF.js's cpu UnsortedSegmentSum
 * loops over segments, WASM has none). Used both ways: tokens → slots (empty slots read token 0,
 * but their outputs are never read, so their gradient is 0) and slots → tokens (a dropped token
 * reads slot 0 but is multiplied by a zero gate, so its gradient is 0).
 */
function routedGather(
  table: tf.Tensor2D,
  idx: tf.Tensor1D,
  inverse: tf.Tensor1D,
  inverseValid: tf.Tensor2D,
): tf.Tensor2D {
  const op = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [t, save] = args as [tf.Tensor2D, tf.GradSaveFunc];
    save([inverse, inverseValid]);
    return {
      value: tf.gather(t, idx),
      gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => [
        tf.gather(dy as tf.Tensor2D, saved[0]!).mul(saved[1]!),
      ],
    };
  }) as (t: tf.Tensor2D) => tf.Tensor2D;
  return op(table);
}

/**
 * Runs `f` with TF.js's gradient tape off and returns what it kept. TF.js records no op while a
 * kernel runs, and a customGrad forward runs as one kernel; its (unused) output feeds nothing,
 * so the node never reaches backprop. Why: routing is argmax, one-hot, cumsum and a scatter —
 * piecewise constant in the weights, and ScatterNd has no registered gradient — so on the
 * tape it would either throw or run useless zero-gradient kernels every step.
 */
function untaped<T>(input: tf.Tensor, f: () => T): T {
  let out: T | undefined;
  const run = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const x = args[0] as tf.Tensor;
    out = f();
    return { value: tf.scalar(0), gradFunc: () => [tf.zerosLike(x)] };
  }) as (x: tf.Tensor) => tf.Tensor;
  run(input).dispose();
  return out!;
}

/**
 * A tiny Switch Transformer for masked-language modelling: TinyBert's attention (heads as
 * separate variables, grouped updated vs frozen) with each FFN replaced by E experts, a router
 * (backbone; with `selection.shared` trained while any of its layer's experts is, see
 * `sharedParts`), top-1 routing with capacity, and the load-balancing loss.
 *
 * Routing, per layer, for tokens x_t (after the attention LayerNorm), in each routing group of
 * N·T/G consecutive tokens (G = 1 in training):
 *   p_t = softmax(x_t W_r),  e_t = argmax_e p_t,e  (no gradient),
 *   the token is kept iff it is among the first C tokens of the group (in flat order n·T + t)
 *   routed to e_t, C = ceil(c · N·T/G / E),
 *   FFN(x_t) = p_t,e_t · expert_e_t(x_t) if kept, 0 if dropped (the residual passes),
 *   expert_e(x) = [relu([x, 1] W̃1_e), 1] W̃2_e.
 * The gate p_t,e_t carries gradient to the router; the choice e_t and the drops do not.
 * Dropping couples the sequences of a group: whether token t of sequence i is dropped depends
 * on the other sequences' tokens routed before it.
 *
 * Load-balancing loss (Switch Transformer): α_lb · E · Σ_e f_e · P_e per layer, f_e the fraction
 * of tokens with argmax e (before capacity), P_e the mean router probability of e; summed over
 * layers and returned as `aux`.
 *
 * Layout — gathered, not dense. Each group of experts gathers its tokens into slots, padded to
 * capacity: [E, G·C, d]. Expert FLOPs are then 2·E·G·C·((d+1)·dFF + (dFF+1)·d) ≈ c × one dense
 * FFN over all tokens, instead of E × with dense masking (E matmuls over all N·T tokens, each
 * output multiplied by the expert's column of the dispatch mask). The price is a few small
 * kernels per layer: the routing itself (≈ 20 element-wise/scan kernels, run off the tape, one
 * scatter for the slot → token table) and two row gathers (dispatch and combine) whose
 * gradients are gathers too (see `routedGather`). Experts of a layer run as one batched matmul
 * per group (updated / frozen), like the heads: the frozen group's stacked weights are cached,
 * so TF.js computes no weight gradient for it, and a step's expert kernels do not grow with E.
 */
export class TinySwitch extends MlmTransformer<FeedForward> implements LabModel {
  declare readonly size: SwitchSize;
  readonly modules: ModuleInfo[];
  private expertGroups: ExpertGroup[][];

  /**
   * `selection.embed` makes the embeddings a module (`E`, after the experts); the experts are
   * always modules (they are this model's FFN blocks), so `selection.ffn` changes nothing.
   */
  constructor(size: SwitchSize, rng: Rng, selection: ModuleSelection = HEADS_ONLY) {
    const { dModel: d, dFF, experts: E } = size;
    if (!Number.isInteger(E) || E < 1) throw new RangeError('experts must be a positive integer');
    if (!(size.capacityFactor > 0)) throw new RangeError('the capacity factor must be positive');
    super(
      'switch',
      size,
      rng,
      (l, vars) => {
        const router = vars.normal([d, E], INIT_STD, `L${l}.router`);
        const w1: tf.Variable[] = [];
        const w2: tf.Variable[] = [];
        for (let e = 0; e < E; e++) {
          w1.push(vars.withBias(d, dFF, INIT_STD, `L${l}.E${e}.w1`));
          w2.push(vars.withBias(dFF, d, INIT_STD, `L${l}.E${e}.w2`));
        }
        return { router, w1, w2 };
      },
      selection,
    );
    const expertInfo: ModuleInfo[] = [];
    for (let l = 0; l < size.layers; l++) {
      for (let e = 0; e < E; e++) {
        expertInfo.push({
          id: `L${l}.E${e}`,
          kind: 'expert',
          layer: l,
          index: e,
          params: (d + 1) * dFF + (dFF + 1) * d,
        });
      }
    }
    // Module order: every head (L0.H0, L0.H1, …, L1.H0, …), then every expert (L0.E0, …),
    // then the embeddings (E) when they are a module.
    this.modules = [...this.headModules, ...expertInfo, ...this.embedModules];
    this.expertGroups = this.allExpertGroups();
  }

  protected feedForwardBackbone(L: FeedForward): tf.Variable[] {
    return [L.router];
  }

  protected feedForwardModules(l: number): number[] {
    const E = this.size.experts;
    return Array.from({ length: E }, (_, e) => this.firstExpert + l * E + e);
  }

  /** Index of the first expert module (the heads come first). */
  get firstExpert(): number {
    return this.size.layers * this.size.heads;
  }

  /** C for a routing group of `tokens` tokens. */
  capacity(tokens: number): number {
    return expertCapacity(tokens, this.size.experts, this.size.capacityFactor);
  }

  /** Head: [q|k|v with biases, output rows]; expert: [W̃1, W̃2]; embeddings: see `embed`. */
  moduleVariables(m: number): tf.Variable[] {
    const info = this.modules[m];
    if (!info) throw new RangeError(`No module ${m}`);
    const L = this.layerVars[info.layer]!;
    return this.sharedModuleVariables(info) ?? [L.w1[info.index]!, L.w2[info.index]!];
  }

  /**
   * Regroups each layer's heads and experts into an updated group and a frozen group (module
   * order as `modules`). Heads as in TinyBert. Experts: each group is one batched matmul per
   * FFN matrix over stacked weights [g, …]; the frozen group's stack is cached (it does not
   * change while frozen) and, not being a variable, gets no weight gradient. The updated group
   * is stacked from its variables every step, so only its weight gradients run.
   */
  setGroups(updating: boolean[]): void {
    this.disposeGroupCache();
    const { heads: H, experts: E } = this.size;
    const first = this.firstExpert;
    this.regroupHeads((l, h) => updating[l * H + h] ?? true);
    this.expertGroups = this.layerVars.map((L, l) => {
      const [on, off] = splitIndices(E, (e) => updating[first + l * E + e] ?? true);
      const groups: ExpertGroup[] = [];
      if (on.length > 0) groups.push({ experts: on, cached: null });
      if (off.length > 0) {
        const cached = tf.tidy(() => ({
          // Stacked as the updated group's are each step: on WebGPU by buffer copies.
          w1: tf.keep(stackCopies<tf.Tensor3D>(off.map((e) => L.w1[e]!))),
          w2: tf.keep(stackCopies<tf.Tensor3D>(off.map((e) => L.w2[e]!))),
        }));
        groups.push({ experts: off, cached });
      }
      return groups;
    });
  }

  private allExpertGroups(): ExpertGroup[][] {
    const experts = Array.from({ length: this.size.experts }, (_, e) => e);
    return this.layerVars.map(() => [{ experts, cached: null }]);
  }

  private disposeGroupCache(): void {
    disposeHeadGroups(this.heads);
    for (const layer of this.expertGroups) {
      for (const g of layer) {
        g.cached?.w1.dispose();
        g.cached?.w2.dispose();
      }
    }
  }

  /**
   * The routing of one layer, computed off the tape (see `untaped`). Within each group g of
   * Tg tokens: c_t,e = Σ_{t' ≤ t in g} onehot(e_t')_e (inclusive cumsum), kept iff c ≤ C, so
   * the dispatch mask is m_t,e = onehot(e_t)_e · [c_t,e ≤ C] and a kept token's slot is
   * rank(e)·G·C + g·C + c_t,e − 1, rank(e) its expert's place in the group order. For a fixed
   * mask, c is the cumsum of the mask itself.
   */
  private route(
    probs: tf.Tensor2D,
    groups: number,
    capacity: number,
    rank: number[],
    fixed: tf.Tensor2D | null,
  ): Route {
    const [NT, E] = probs.shape;
    const G = groups;
    const Tg = NT / G;
    const C = capacity;
    const S = E * G * C;
    const offsets = new Float32Array(G * E);
    for (let g = 0; g < G; g++) {
      for (let e = 0; e < E; e++) offsets[g * E + e] = rank[e]! * G * C + g * C - 1;
    }
    const tokenIds = Int32Array.from({ length: NT }, (_, t) => t + 1);
    const experts = Int32Array.from({ length: E }, (_, e) => e);
    return untaped(probs, () => {
      // A float one-hot that is float on every backend: TF.js 4.22's WASM OneHot writes int32
      // data whatever the dtype asked, and WebGPU casts int32/bool → float32 by relabelling the
      // int buffer, which its Transpose (inside cumsum) then rejects. `where` writes floats.
      const pick = tf.equal(tf.argMax(probs, 1).reshape([NT, 1]), tf.tensor2d(experts, [1, E]));
      const oh = tf.where(pick, tf.ones([NT, E]), tf.zeros([NT, E])) as tf.Tensor2D;
      const frac = oh.mean(0) as tf.Tensor1D;
      let mask: tf.Tensor3D;
      let c: tf.Tensor3D;
      if (fixed) {
        mask = fixed.reshape([G, Tg, E]);
        c = tf.cumsum(mask, 1);
      } else {
        const oh3 = oh.reshape([G, Tg, E]) as tf.Tensor3D;
        c = tf.cumsum(oh3, 1);
        mask = oh3.mul(
          tf
            .scalar(C + 0.5)
            .sub(c)
            .step(),
        );
      }
      const slotF = c
        .add(tf.tensor3d(offsets, [G, 1, E]))
        .mul(mask)
        .sum(2)
        .reshape([NT]);
      const kept = mask.sum(2).reshape([NT, 1]);
      // Token t + 1 into its slot; dropped tokens go to an extra slot S, cut off below.
      const target = slotF.add(tf.scalar(S).mul(tf.scalar(1).sub(kept.reshape([NT])))).toInt();
      const filled = tf
        .scatterND(target.reshape([NT, 1]), tf.tensor1d(tokenIds, 'int32'), [S + 1])
        .slice(0, S);
      const one = tf.scalar(1, 'int32');
      return {
        mask: tf.keep(mask.reshape([NT, E])),
        slot: tf.keep(slotF.toInt() as tf.Tensor1D),
        kept: tf.keep(kept as tf.Tensor2D),
        source: tf.keep(filled.sub(one).maximum(tf.scalar(0, 'int32')) as tf.Tensor1D),
        occupied: tf.keep(filled.minimum(one).toFloat().reshape([S, 1]) as tf.Tensor2D),
        frac: tf.keep(frac),
      };
    });
  }

  /**
   * Logits at the masked positions and the load-balancing loss. With `taps` (or `allModules`,
   * or a fixed `routing`) every layer runs one group of all heads and one of all experts, read
   * from the variables; with `capture`, the inputs of the modules' maps are kept.
   */
  forward(input: ForwardInput, opts: SwitchForwardOptions = {}): SwitchOutput {
    const { seqLen: T, experts: E } = this.size;
    const N = input.tokens.shape[0];
    const NT = N * T;
    const G = opts.routingGroups ?? 1;
    if (!Number.isInteger(G) || G < 1 || N % G !== 0) {
      throw new RangeError(`${N} sequences do not split into ${G} routing groups`);
    }
    const C = opts.routing?.capacity ?? this.capacity(NT / G);
    const GC = G * C;
    const whole = Boolean(opts.taps || opts.allModules || opts.routing);
    const expertGroups = whole ? this.allExpertGroups() : this.expertGroups;
    let aux: tf.Scalar | null = null;
    const logits = this.encode(input, whole, opts, (x, L, l) => {
      if (opts.capture) opts.capture.ffnIn.push(tf.keep(x));

      // Router and routing.
      const probs = tf.softmax(tf.matMul(x, L.router)) as tf.Tensor2D;
      const order = expertGroups[l]!.flatMap((g) => g.experts);
      const rank = new Array<number>(E);
      order.forEach((e, r) => (rank[e] = r));
      const route = this.route(probs, G, C, rank, opts.routing?.masks[l] ?? null);
      // Gate p_t,e_t for kept tokens, 0 for dropped ones; its gradient reaches the router.
      const coef = probs.mul(route.mask).sum(1, true);
      if (opts.fractions) opts.fractions.push(tf.keep(route.frac.clone()));
      const lb = (opts.routing?.fractions?.[l] ?? route.frac)
        .mul(probs.mean(0))
        .sum()
        .mul(LOAD_BALANCE_ALPHA * E) as tf.Scalar;
      aux = aux === null ? lb : (aux.add(lb) as tf.Scalar);

      // Experts on their slots, [E, G·C, ·] in group order.
      const xe = appendOnes(routedGather(x, route.source, route.slot, route.kept)).reshape([
        E,
        GC,
        -1,
      ]) as tf.Tensor3D;
      opts.capture?.slotIn?.push(tf.keep(xe));
      const groups = expertGroups[l]!;
      const parts =
        groups.length === 1
          ? [xe]
          : tf.split(
              xe,
              groups.map((g) => g.experts.length),
              0,
            );
      const outs = groups.map((group, j) => {
        const w1 = group.cached?.w1 ?? stackCopies<tf.Tensor3D>(group.experts.map((e) => L.w1[e]!));
        const w2 = group.cached?.w2 ?? stackCopies<tf.Tensor3D>(group.experts.map((e) => L.w2[e]!));
        let a: tf.Tensor3D;
        if (opts.taps) a = tf.relu(tf.matMul(parts[j]!, w1).add(opts.taps.h[l]!)) as tf.Tensor3D;
        else a = tf.fused.matMul({ a: parts[j]!, b: w1, activation: 'relu' }) as tf.Tensor3D;
        if (opts.capture) opts.capture.hidden.push(tf.keep(a));
        const aAug = appendOnes(a);
        let out = tf.matMul(aAug, w2);
        if (opts.taps) out = out.add(opts.taps.out[l]!);
        return out;
      });
      const yAll = (outs.length === 1 ? outs[0]! : tf.concat(outs, 0)).reshape([E * GC, -1]);
      const ffn = routedGather(yAll as tf.Tensor2D, route.slot, route.source, route.occupied).mul(
        coef,
      ) as tf.Tensor2D;

      if (opts.capture) opts.capture.slot.push(route.slot);
      else route.slot.dispose();
      if (opts.capture) opts.capture.mask.push(route.mask);
      if (opts.masks) opts.masks.push(opts.capture ? tf.keep(route.mask.clone()) : route.mask);
      if (!opts.capture && !opts.masks) route.mask.dispose();
      for (const t of [route.kept, route.source, route.occupied, route.frac]) t.dispose();
      return ffn;
    });
    return { logits, aux: aux ?? tf.scalar(0) };
  }

  /**
   * Each layer's dispatch mask [N·T, E] for `tokens` [N, T] (kept; the caller disposes), with
   * `groups` routing groups. Runs the full forward: routing at layer l depends on layers < l.
   */
  dispatchMasks(tokens: tf.Tensor2D, groups = 1): tf.Tensor2D[] {
    const masks: tf.Tensor2D[] = [];
    tf.tidy(() => {
      this.forward(
        { tokens, positions: tf.tensor1d([0], 'int32') },
        { masks, routingGroups: groups },
      );
    });
    return masks;
  }

  /**
   * Router load: tokens routed to each expert after capacity, Σ_t m_t,e, for the batch
   * `tokens` [N, T] routed as one group; [layers · E] in module order (L0.E0, L0.E1, …).
   */
  async routerLoad(tokens: tf.Tensor2D): Promise<number[]> {
    const masks = this.dispatchMasks(tokens);
    const counts = tf.tidy(() => tf.stack(masks.map((m) => m.sum(0))));
    for (const m of masks) m.dispose();
    const out = Array.from(await counts.data());
    counts.dispose();
    return out;
  }

  dispose(): void {
    this.disposeGroupCache();
    for (const v of this.allVariables()) v.dispose();
  }
}
