import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../../rng';
import type { ModuleInfo } from '../../types';
import type { SharedPart } from '../model';
import { splitIndices } from '../model';
import { VariableFactory } from '../variables';
import { attention } from '../../fused/attention';
import { biasAct } from '../../fused/bias-act';
import { appendOnes, concatCols, concatRows } from '../../fused/copies';
import { linear, matMulNT } from '../../fused/matmul';
import { addLayerNorm, normalise } from '../../fused/layer-norm';
import { fusedActive } from '../../fused/program';
import type { ModuleSelection } from './selection';
import { HEADS_ONLY } from './selection';

/** Sizes of a tiny post-LayerNorm transformer encoder with a tied MLM decoder (BERT, Switch). */
export interface TransformerSize {
  layers: number;
  heads: number;
  dModel: number;
  dFF: number;
  seqLen: number;
  vocab: number;
}

/** Heads of one layer split into groups; each group runs as one matmul (see `setGroups`). */
export interface HeadGroup {
  heads: number[];
  /** Concatenated weights cached for a frozen group (constant until the grouping changes). */
  cached: { qkv: tf.Tensor2D; o: tf.Tensor2D } | null;
}

/** One group of all `heads` heads per layer (probing, the oracle, before any decision). */
function allHeadGroups(layers: number, heads: number): HeadGroup[][] {
  const all = Array.from({ length: heads }, (_, h) => h);
  return Array.from({ length: layers }, () => [{ heads: all, cached: null }]);
}

/**
 * Each layer's heads as an updated group and a frozen group; `updating(l, h)` says which. Each
 * group runs as one matmul for q|k|v and one for the output projection: two kernels per group
 * instead of per head. The frozen group's concatenated weights are cached (they do not change
 * while frozen), and since they are not variables TF.js computes no weight gradient for them.
 */
export function headGroups(
  layers: { qkv: tf.Variable[]; o: tf.Variable[] }[],
  heads: number,
  updating: (l: number, h: number) => boolean,
): HeadGroup[][] {
  return layers.map((L, l) => {
    const [on, off] = splitIndices(heads, (h) => updating(l, h));
    const groups: HeadGroup[] = [];
    if (on.length > 0) groups.push({ heads: on, cached: null });
    if (off.length > 0) {
      // Joined as the updated group's are each step (`attentionSublayer`): q|k|v side by side,
      // output rows stacked; on WebGPU by buffer copies (and one Transpose for the columns).
      const cached = tf.tidy(() => ({
        qkv: tf.keep(concatCols(off.map((h) => L.qkv[h]! as tf.Tensor2D))),
        o: tf.keep(concatRows(off.map((h) => L.o[h]! as tf.Tensor2D))),
      }));
      groups.push({ heads: off, cached });
    }
    return groups;
  });
}

/** Releases the frozen groups' cached weights. */
export function disposeHeadGroups(groups: HeadGroup[][]): void {
  for (const layer of groups) {
    for (const g of layer) {
      g.cached?.qkv.dispose();
      g.cached?.o.dispose();
    }
  }
}

/**
 * Zero "taps" added to module outputs. The gradient of a scalar with respect to a tap is the
 * gradient with respect to that module output, per sample — what the fast mNTK needs.
 */
export interface Taps {
  /** Per layer: [N·T, H·3·d_h], added to the fused q|k|v projection output. */
  qkv: tf.Tensor2D[];
  /** Per layer: [N·T, d], added to the attention output projection (after its bias). */
  y: tf.Tensor2D[];
  /** With the embeddings a module: see `EmbedTaps`. */
  embed?: EmbedTaps;
}

/**
 * The taps of the embeddings module: its parameters act at the token + position sum (token and
 * position rows), at the embedding LayerNorm's output (its gain and bias) and, the decoder being
 * tied to the token embedding, at the logits.
 */
export interface EmbedTaps {
  /** [N·T, d], added to token embedding + position embedding (the LayerNorm's input). */
  pre: tf.Tensor2D;
  /** [N·T, d], added to the embedding LayerNorm's output. */
  post: tf.Tensor2D;
  /** [N·M, V], added to the logits (after the decoder bias). */
  logits: tf.Tensor2D;
}

/** Activations kept from a forward pass (inputs of each module's linear maps). */
export interface Captured {
  /** Per layer: [N·T, d+1], the layer input with a ones column (input of q|k|v). */
  xAug: tf.Tensor2D[];
  /** Per layer: [N·T, H·d_h], the heads' attention outputs (input of the output projection). */
  ctx: tf.Tensor2D[];
  /** With embedding taps: the embedding LayerNorm's normalised input x̂ [N·T, d]. */
  xhat?: tf.Tensor2D[];
  /** With embedding taps: the decoder's input (the MLM head's LayerNorm output) [N·M, d]. */
  tn?: tf.Tensor2D[];
}

export interface ForwardInput {
  /** Token ids [N, T]. */
  tokens: tf.Tensor2D;
  /** Flat indices n·T + t of the masked positions, [N·M]. */
  positions: tf.Tensor1D;
}

/** Standard deviation of every initial weight (BERT's initialiser range). */
export const INIT_STD = 0.02;

/**
 * Row gather whose gradient is a scatter-add. TF.js's gather gradient needs the
 * UnsortedSegmentSum kernel, which the WASM backend lacks; there the scatter runs as
 * oneHot(ids)ᵀ·dy instead (same values, more arithmetic).
 */
const gatherRows = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
  const [table, ids, save] = args as [tf.Tensor, tf.Tensor, tf.GradSaveFunc];
  save([ids]);
  const rows = table.shape[0]!;
  return {
    value: tf.gather(table, ids),
    gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[]) => {
      const g = dy as tf.Tensor2D;
      const idx = saved[0]! as tf.Tensor1D;
      const scatter = tf.getKernel('UnsortedSegmentSum', tf.getBackend())
        ? tf.unsortedSegmentSum(g, idx, rows)
        : tf.matMul(tf.oneHot(idx, rows).toFloat(), g, true, false);
      return [scatter, tf.zerosLike(idx)];
    },
  };
}) as (table: tf.Tensor, ids: tf.Tensor) => tf.Tensor2D;

/** LayerNorm over the last axis (`addLayerNorm` with nothing to add). */
function layerNorm(x: tf.Tensor2D, g: tf.Tensor, b: tf.Tensor): tf.Tensor2D {
  return addLayerNorm(x, null, null, g, b);
}

/**
 * act(a·w + bias): on the fused path a matmul and one bias-and-activation kernel (whose gradient
 * is one kernel and a column sum); else TF.js's fused matmul, as every run before the fused
 * kernels (it falls back to matmul, add and relu under a gradient tape by itself).
 */
export function dense(
  a: tf.Tensor2D,
  w: tf.Tensor2D,
  bias: tf.Tensor,
  activation: 'relu' | 'linear',
): tf.Tensor2D {
  if (fusedActive()) return biasAct(linear(a, w), bias, activation);
  return tf.fused.matMul({ a, b: w, bias, activation }) as tf.Tensor2D;
}

/** The embedding and MLM-head variables a BERT-style masked-language model shares. */
export interface MlmEnds {
  tokEmb: tf.Variable;
  posEmb: tf.Variable;
  embLnG: tf.Variable;
  embLnB: tf.Variable;
  mlmW: tf.Variable;
  mlmB: tf.Variable;
  mlmLnG: tf.Variable;
  mlmLnB: tf.Variable;
  decB: tf.Variable;
}

/**
 * LayerNorm(token embedding + position embedding) of token ids [N, T]: [N·T, d]. With `taps`,
 * `pre` is added to the sum and `post` to the output; with `capture`, x̂ is kept.
 */
export function embed(
  v: MlmEnds,
  tokens: tf.Tensor2D,
  opts: { taps?: EmbedTaps | undefined; capture?: Pick<Captured, 'xhat'> | undefined } = {},
): tf.Tensor2D {
  const tok = gatherRows(v.tokEmb, tokens.reshape([-1]));
  if (!opts.taps) return addLayerNorm(tok, v.posEmb as tf.Tensor2D, null, v.embLnG, v.embLnB);
  const pos = tf.tile(v.posEmb, [tokens.shape[0], 1]);
  const x = tok.add(pos).add(opts.taps.pre) as tf.Tensor2D;
  const xhat = normalise(x);
  opts.capture?.xhat?.push(tf.keep(xhat));
  return xhat.mul(v.embLnG).add(v.embLnB).add(opts.taps.post) as tf.Tensor2D;
}

/**
 * The MLM head at the masked rows `positions` of x [N·T, d]: dense + ReLU, LayerNorm, then the
 * decoder tied to the token embedding, [M, V] logits. Not one fused matmul with transposeB and
 * bias: TF.js 4.22's WASM _FusedMatMul indexes the bias wrongly when B is transposed (rows after
 * the first get wrong logits; see bert-wasm.test.ts). A separate bias add is right everywhere.
 * The logits tn·Eᵀ are `matMulNT`: the lab's A·Bᵀ on WebGPU, `tf.matMul` elsewhere.
 */
function mlmHead(
  v: MlmEnds,
  x: tf.Tensor2D,
  positions: tf.Tensor1D,
  opts: { tap?: tf.Tensor2D | undefined; capture?: Pick<Captured, 'tn'> | undefined } = {},
): tf.Tensor2D {
  const t = dense(gatherRows(x, positions), v.mlmW as tf.Tensor2D, v.mlmB, 'relu');
  const tn = layerNorm(t, v.mlmLnG, v.mlmLnB);
  opts.capture?.tn?.push(tf.keep(tn));
  const logits = matMulNT(tn, v.tokEmb as tf.Tensor2D).add(v.decB) as tf.Tensor2D;
  return opts.tap ? (logits.add(opts.tap) as tf.Tensor2D) : logits;
}

/** The variables of one attention sublayer (BERT's and the Switch Transformer's alike). */
export interface AttentionVars {
  qkv: tf.Variable[];
  o: tf.Variable[];
  bo: tf.Variable;
  ln1g: tf.Variable;
  ln1b: tf.Variable;
}

/**
 * One post-LN attention sublayer, LayerNorm(x + Attention(x)), its heads run as `groups`
 * (updated / frozen; one q|k|v matmul and one output-projection matmul per group). With
 * `taps`, layer l's taps are added to q|k|v and to the output; with `capture`, the q|k|v input
 * (x with a ones column) and the heads' contexts are kept.
 */
function attentionSublayer(
  x: tf.Tensor2D,
  L: AttentionVars,
  groups: HeadGroup[],
  l: number,
  dims: { N: number; T: number; dh: number },
  opts: { taps?: Taps; capture?: Pick<Captured, 'xAug' | 'ctx'> },
): tf.Tensor2D {
  const { N, T, dh } = dims;
  const xAug = appendOnes(x);
  if (opts.capture) opts.capture.xAug.push(tf.keep(xAug));
  let y: tf.Tensor2D | null = null;
  const ctxParts: tf.Tensor2D[] = [];
  for (const group of groups) {
    const g = group.heads.length;
    const wqkv: tf.Tensor2D =
      group.cached?.qkv ?? concatCols(group.heads.map((h) => L.qkv[h]! as tf.Tensor2D));
    const wo: tf.Tensor2D =
      group.cached?.o ?? concatRows(group.heads.map((h) => L.o[h]! as tf.Tensor2D));
    let qkv = linear(xAug, wqkv);
    if (opts.taps) qkv = qkv.add(opts.taps.qkv[l]!);
    const ctx = attention(qkv, { N, T, g, dh });
    if (opts.capture) ctxParts.push(ctx);
    const yg = linear(ctx, wo);
    y = y === null ? yg : (y.add(yg) as tf.Tensor2D);
  }
  if (opts.capture) {
    const ctxAll = ctxParts.length === 1 ? ctxParts[0]! : tf.concat(ctxParts, 1);
    opts.capture.ctx.push(tf.keep(ctxAll as tf.Tensor2D));
  }
  // LN(x + (y + b_o)): the bias goes into the add & norm, except under a tap (added after it).
  if (!opts.taps) return addLayerNorm(y!, x, L.bo, L.ln1g, L.ln1b);
  const attn = y!.add(L.bo).add(opts.taps.y[l]!) as tf.Tensor2D;
  return addLayerNorm(attn, x, null, L.ln1g, L.ln1b);
}

/** A feed-forward output whose bias is left to the add & norm after it (the fused kernel's). */
export interface BiasedOutput {
  /** The output before its bias, [N·T, d]. */
  out: tf.Tensor2D;
  bias: tf.Tensor;
}

/** The LayerNorm after each layer's feed-forward part (backbone). */
interface LayerNorm2 {
  ln2g: tf.Variable;
  ln2b: tf.Variable;
}

/**
 * What BERT and the Switch Transformer share: token and position embeddings with their
 * LayerNorm, per layer an attention sublayer whose heads are separate variables (one MAT module
 * each), a feed-forward part of the subclass's own, and the MLM head tied to the token
 * embedding. Weights are drawn from `rng` in a fixed order — embeddings, then per layer the
 * heads (q|k|v with a zero bias row, output rows) and the layer's feed-forward part, then the
 * MLM head — so a seed fixes every weight, whichever parts are modules (`selection`).
 *
 * With `selection.embed` the embeddings (token and position embeddings, their LayerNorm gain and
 * bias) are one more module, `E`, kind `embed`, at layer 0: it sits below layer 0's heads, so
 * depth-ordered policies (progressive freezing) freeze it with layer 0, the first; the tied
 * decoder reads the same token embedding, so its gradient there is part of the module's too.
 */
export abstract class MlmTransformer<F extends object> implements MlmEnds {
  readonly size: TransformerSize;
  /** d_h = d / H. */
  readonly dHead: number;
  readonly tokEmb: tf.Variable;
  readonly posEmb: tf.Variable;
  readonly embLnG: tf.Variable;
  readonly embLnB: tf.Variable;
  readonly layerVars: (AttentionVars & LayerNorm2 & F)[];
  readonly mlmW: tf.Variable;
  readonly mlmB: tf.Variable;
  readonly mlmLnG: tf.Variable;
  readonly mlmLnB: tf.Variable;
  readonly decB: tf.Variable;
  /** Which parts besides the heads are modules. */
  readonly selection: ModuleSelection;
  /** One module per head, layer by layer (L0.H0, L0.H1, …, L1.H0, …). */
  protected readonly headModules: ModuleInfo[];
  /** The embeddings module `E` when `selection.embed`, else empty. */
  protected readonly embedModules: ModuleInfo[];
  /** The heads of each layer as run now: updated / frozen groups (see `headGroups`). */
  protected heads: HeadGroup[][];

  /**
   * `family` prefixes the variable names; `feedForward(l, vars)` creates layer l's
   * feed-forward variables right after its attention variables.
   */
  protected constructor(
    family: string,
    size: TransformerSize,
    rng: Rng,
    feedForward: (l: number, vars: VariableFactory) => F,
    selection: ModuleSelection = HEADS_ONLY,
  ) {
    const { layers, heads, dModel: d, seqLen, vocab } = size;
    if (d % heads !== 0) throw new RangeError('dModel must be divisible by heads');
    this.size = size;
    this.selection = { ...selection };
    this.dHead = d / heads;
    const dh = this.dHead;
    const vars = new VariableFactory(family, rng);
    this.tokEmb = vars.normal([vocab, d], INIT_STD, 'tokEmb');
    this.posEmb = vars.normal([seqLen, d], INIT_STD, 'posEmb');
    this.embLnG = vars.fill([d], 1, 'embLnG');
    this.embLnB = vars.fill([d], 0, 'embLnB');
    this.layerVars = [];
    this.headModules = [];
    for (let l = 0; l < layers; l++) {
      const qkv: tf.Variable[] = [];
      const o: tf.Variable[] = [];
      for (let h = 0; h < heads; h++) {
        qkv.push(vars.withBias(d, 3 * dh, INIT_STD, `L${l}.H${h}.qkv`));
        o.push(vars.normal([dh, d], INIT_STD, `L${l}.H${h}.o`));
        this.headModules.push({
          id: `L${l}.H${h}`,
          kind: 'head',
          layer: l,
          index: h,
          params: (d + 1) * 3 * dh + dh * d,
        });
      }
      const attention: AttentionVars = {
        qkv,
        o,
        bo: vars.fill([d], 0, `L${l}.bo`),
        ln1g: vars.fill([d], 1, `L${l}.ln1g`),
        ln1b: vars.fill([d], 0, `L${l}.ln1b`),
      };
      const ff = feedForward(l, vars);
      const ln2 = { ln2g: vars.fill([d], 1, `L${l}.ln2g`), ln2b: vars.fill([d], 0, `L${l}.ln2b`) };
      this.layerVars.push({ ...attention, ...ff, ...ln2 });
    }
    this.mlmW = vars.normal([d, d], INIT_STD, 'mlmW');
    this.mlmB = vars.fill([d], 0, 'mlmB');
    this.mlmLnG = vars.fill([d], 1, 'mlmLnG');
    this.mlmLnB = vars.fill([d], 0, 'mlmLnB');
    this.decB = vars.fill([vocab], 0, 'decB');
    this.heads = allHeadGroups(layers, heads);
    const embedParams = vocab * d + seqLen * d + 2 * d;
    this.embedModules = selection.embed
      ? [{ id: 'E', kind: 'embed', layer: 0, index: 0, params: embedParams }]
      : [];
  }

  /**
   * Layer l's feed-forward variables that are neither a module's nor its LayerNorm, in a fixed
   * order: BERT's FFN block when it is not a module, the Switch Transformer's router.
   */
  protected abstract feedForwardBackbone(L: F): tf.Variable[];

  /**
   * The modules of layer l's feed-forward part (BERT's FFN block when it is a module, the
   * Switch Transformer's experts); empty when it has none.
   */
  protected abstract feedForwardModules(l: number): number[];

  abstract readonly modules: ModuleInfo[];
  abstract moduleVariables(m: number): tf.Variable[];

  /** The backbone's variables, every module's in module order, then the shared parts'. */
  allVariables(): tf.Variable[] {
    return [
      ...this.backboneVariables(),
      ...this.modules.flatMap((_, m) => this.moduleVariables(m)),
      ...this.sharedParts().flatMap((p) => p.variables),
    ];
  }

  /**
   * Variables always trained: embeddings and their LayerNorm (unless they are a module); per
   * layer the output-projection bias and the attention LayerNorm, the feed-forward backbone and
   * its LayerNorm (unless `selection.shared` gives them to the layer's modules, see
   * `sharedParts`); the MLM head.
   */
  backboneVariables(): tf.Variable[] {
    const out = this.selection.embed ? [] : this.embedVariables();
    this.layerVars.forEach((L, l) => {
      if (!this.selection.shared) out.push(L.bo, L.ln1g, L.ln1b);
      if (!this.ffnShared(l)) out.push(...this.feedForwardBackbone(L), L.ln2g, L.ln2b);
    });
    out.push(this.mlmW, this.mlmB, this.mlmLnG, this.mlmLnB, this.decB);
    return out;
  }

  /**
   * With `selection.shared`, per layer: the attention output bias and LayerNorm, trained while
   * any of the layer's heads is updated; and when the feed-forward part has modules, its
   * backbone (the router) and LayerNorm, trained while any of them is. Without: none.
   */
  sharedParts(): SharedPart[] {
    if (!this.selection.shared) return [];
    const H = this.size.heads;
    return this.layerVars.flatMap((L, l) => {
      const parts: SharedPart[] = [
        {
          variables: [L.bo, L.ln1g, L.ln1b],
          modules: Array.from({ length: H }, (_, h) => l * H + h),
        },
      ];
      if (this.ffnShared(l)) {
        parts.push({
          variables: [...this.feedForwardBackbone(L), L.ln2g, L.ln2b],
          modules: this.feedForwardModules(l),
        });
      }
      return parts;
    });
  }

  /** Whether layer l's feed-forward backbone and LayerNorm are a shared part. */
  private ffnShared(l: number): boolean {
    return Boolean(this.selection.shared) && this.feedForwardModules(l).length > 0;
  }

  /** The embeddings' variables: token and position embeddings, LayerNorm gain and bias. */
  protected embedVariables(): tf.Variable[] {
    return [this.tokEmb, this.posEmb, this.embLnG, this.embLnB];
  }

  /** A head's variables: q|k|v with its bias row, and its rows of the output projection. */
  protected headVariables(layer: number, head: number): tf.Variable[] {
    const L = this.layerVars[layer]!;
    return [L.qkv[head]!, L.o[head]!];
  }

  /** The variables of a head or of the embeddings; null for a kind of the subclass's own. */
  protected sharedModuleVariables(info: ModuleInfo): tf.Variable[] | null {
    if (info.kind === 'head') return this.headVariables(info.layer, info.index);
    if (info.kind === 'embed') return this.embedVariables();
    return null;
  }

  /** Regroups each layer's heads; `updating(l, h)` says which heads are updated. */
  protected regroupHeads(updating: (l: number, h: number) => boolean): void {
    disposeHeadGroups(this.heads);
    this.heads = headGroups(this.layerVars, this.size.heads, updating);
  }

  /**
   * The encoder both models run: embeddings; per layer the attention sublayer (all heads in one
   * group with `allHeads`, else as regrouped) and LayerNorm(x + feedForward(x)); the MLM head's
   * logits at the masked positions, [N·M, V]. Embedding taps, if any, go to the embeddings and
   * the logits.
   */
  protected encode(
    input: ForwardInput,
    allHeads: boolean,
    opts: { taps?: Taps; capture?: Captured },
    feedForward: (x: tf.Tensor2D, L: AttentionVars & F, l: number) => tf.Tensor2D | BiasedOutput,
  ): tf.Tensor2D {
    const dims = { N: input.tokens.shape[0], T: this.size.seqLen, dh: this.dHead };
    const groups = this.headGroupsFor(allHeads);
    const embedTaps = opts.taps?.embed;
    let x = embed(this, input.tokens, { taps: embedTaps, capture: opts.capture });
    this.layerVars.forEach((L, l) => {
      x = attentionSublayer(x, L, groups[l]!, l, dims, opts);
      const f = feedForward(x, L, l);
      x =
        f instanceof tf.Tensor
          ? addLayerNorm(f, x, null, L.ln2g, L.ln2b)
          : addLayerNorm(f.out, x, f.bias, L.ln2g, L.ln2b);
    });
    return mlmHead(this, x, input.positions, { tap: embedTaps?.logits, capture: opts.capture });
  }

  /** The head groups a forward uses: all heads in one group when probing, else as regrouped. */
  protected headGroupsFor(allHeads: boolean): HeadGroup[][] {
    return allHeads ? allHeadGroups(this.size.layers, this.size.heads) : this.heads;
  }
}
