/**
 * What the transformers' 'step' kernels (BERT's, docs/method.md "The kernel") share: slicing the
 * batch's first n samples out of the step's pass, and the weight gradients of heads and of the
 * embeddings computed after the decision from the tap gradients and the forward's capture.
 */
import * as tf from '@tensorflow/tfjs';
import type { AttentionVars, Captured, MlmEnds, TransformerSize } from './model';
import { embedGram, headGrams } from './kernel';
import { kernelInput } from '../../kernel';
import type { StepProbe } from '../types';

/** The first `rows` rows of x (the batch's first samples: sample-major layouts). */
export const firstRows = (x: tf.Tensor, rows: number): tf.Tensor2D =>
  x.slice([0, 0], [rows, -1]) as tf.Tensor2D;

/** Column indices of blocks `blocks` of width w: [b·w, …, b·w + w − 1] for each b. */
function blockColumns(blocks: readonly number[], w: number): tf.Tensor1D {
  return tf.tensor1d(
    blocks.flatMap((b) => Array.from({ length: w }, (_, j) => b * w + j)),
    'int32',
  );
}

/**
 * The weight gradients of heads `heads` (ascending) of one layer, as the plain step computes
 * them: with x̃ [B·T, d+1] the q|k|v input (ones column for the bias row), ctx [B·T, H·d_h] the
 * heads' contexts and Dqkv [B·T, 3·H·d_h], Dy [B·T, d] the gradients of the batch-mean loss at
 * the q|k|v output and the attention output, head h's are x̃ᵀ·Dqkv[:, h's 3·d_h columns] and
 * ctx[:, h's d_h columns]ᵀ·Dy. One matmul each for all the heads asked, then split.
 */
export function headWeightGradients(
  heads: readonly number[],
  H: number,
  dh: number,
  pass: { xAug: tf.Tensor2D; ctx: tf.Tensor2D; dQkv: tf.Tensor2D; dY: tf.Tensor2D },
): { qkv: tf.Tensor[]; o: tf.Tensor[] } {
  const all = heads.length === H;
  const dq = all ? pass.dQkv : tf.gather(pass.dQkv, blockColumns(heads, 3 * dh), 1);
  const ctx = all ? pass.ctx : tf.gather(pass.ctx, blockColumns(heads, dh), 1);
  const dW = tf.matMul(pass.xAug, dq, true, false);
  const dO = tf.matMul(ctx, pass.dY, true, false);
  const g = heads.length;
  return {
    qkv: g === 1 ? [dW] : tf.split(dW, g, 1),
    o: g === 1 ? [dO] : tf.split(dO, g, 0),
  };
}

/**
 * The embeddings' weight gradients (token embedding, position embedding, LayerNorm gain and
 * bias; `MlmEnds`' order) from the step's pass: with D the gradient at the token + position sum
 * [B·T, d], D' at the embedding LayerNorm's output, x̂ its normalised input, δ the gradient at the
 * logits [B·M, V] and tn the tied decoder's input [B·M, d]:
 * token rows Σ over the batch's tokens of D (a scatter-add by token id) plus δᵀ·tn (the decoder),
 * position rows Σ over the batch of D, gain Σ D' ⊙ x̂, bias Σ D'.
 */
export function embedWeightGradients(
  ends: Pick<MlmEnds, 'tokEmb' | 'posEmb' | 'embLnG' | 'embLnB'>,
  tokens: tf.Tensor2D,
  pass: {
    dPre: tf.Tensor2D;
    dPost: tf.Tensor2D;
    xhat: tf.Tensor2D;
    dLogits: tf.Tensor2D;
    tn: tf.Tensor2D;
  },
): Map<string, tf.Tensor> {
  const [B, T] = tokens.shape;
  const V = ends.tokEmb.shape[0]!;
  const d = ends.tokEmb.shape[1]!;
  const ids = tokens.reshape([B * T]) as tf.Tensor1D;
  // The scatter as gatherRows' gradient runs it (UnsortedSegmentSum, or oneHotᵀ·D on WASM).
  const rows = tf.getKernel('UnsortedSegmentSum', tf.getBackend())
    ? tf.unsortedSegmentSum(pass.dPre, ids, V)
    : tf.matMul(tf.oneHot(ids, V).toFloat(), pass.dPre, true, false);
  const decoder = tf.matMul(pass.dLogits, pass.tn, true, false);
  return new Map<string, tf.Tensor>([
    [ends.tokEmb.name, rows.add(decoder)],
    [ends.posEmb.name, pass.dPre.reshape([B, T, d]).sum(0)],
    [ends.embLnG.name, pass.dPost.mul(pass.xhat).sum(0)],
    [ends.embLnB.name, pass.dPost.sum(0)],
  ]);
}

/** What a transformer's step pass gives the parts BERT and Switch share (heads, embeddings). */
export interface TransformerStep {
  model: Pick<MlmEnds, 'tokEmb' | 'posEmb' | 'embLnG' | 'embLnB'> & {
    readonly size: TransformerSize;
    readonly dHead: number;
    readonly layerVars: readonly Pick<AttentionVars, 'qkv' | 'o'>[];
  };
  /** The batch's token ids [B, T]. */
  tokens: tf.Tensor2D;
  /** Masked tokens per sequence. */
  M: number;
  capture: Captured;
  /** Layer l's tap gradients at q|k|v [B·T, 3·H·d_h] and at the attention output [B·T, d]. */
  dQkv: (l: number) => tf.Tensor2D;
  dY: (l: number) => tf.Tensor2D;
  /** With the embeddings a module: their tap gradients (token + position sum, LN output, logits). */
  embed: tf.Tensor2D[] | null;
}

/**
 * The heads' and the embeddings' Grams of the batch's first n sequences (one replica each:
 * [H, 1, n, n] per layer, then [1, 1, n, n]), unweighted; call inside a tidy.
 */
export function stepHeadAndEmbedGrams(
  s: TransformerStep,
  n: number,
): {
  heads: tf.Tensor[];
  embed: tf.Tensor[];
} {
  const { layers: L, heads: H, seqLen: T } = s.model.size;
  const nT = n * T;
  const dims = { n, Rp: 1, T, H, dh: s.model.dHead };
  const heads = Array.from({ length: L }, (_, l) =>
    headGrams(
      firstRows(s.capture.xAug[l]!, nT),
      firstRows(s.capture.ctx[l]!, nT),
      firstRows(s.dQkv(l), nT),
      firstRows(s.dY(l), nT),
      dims,
    ),
  );
  if (!s.embed) return { heads, embed: [] };
  const [dPre, dPost, dLogits] = s.embed as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
  const g = {
    dPre: firstRows(dPre, nT),
    dPost: firstRows(dPost, nT),
    xhat: firstRows(s.capture.xhat![0]!, nT),
    dLogits: firstRows(dLogits, n * s.M),
    tn: firstRows(s.capture.tn![0]!, n * s.M),
  };
  const ids = s.tokens.slice([0, 0], [n, T]).reshape([nT]) as tf.Tensor1D;
  return { heads, embed: [embedGram(g, ids, { n, Rp: 1, T, M: s.M })] };
}

/**
 * The step kernels [modules, n, n] from the Grams of every module (one replica each, module
 * order), times B² — (B·D_i)·(B·D_j): the per-sample gradients are B times the tap gradients'
 * rows — read back. Disposes the Grams.
 */
export async function readStepKernels(grams: tf.Tensor[], B: number): Promise<Float32Array> {
  const all = tf.tidy(() =>
    tf
      .concat(grams, 0)
      .squeeze([1])
      .mul(B * B),
  );
  tf.dispose(grams);
  const out = (await all.data()) as Float32Array;
  all.dispose();
  return out;
}

/**
 * The weight gradients of the heads `heads[l]` asked for in each layer, and of the embeddings
 * when `embed`, into `got` by variable name (`headWeightGradients`, `embedWeightGradients`).
 */
export function headAndEmbedGradients(
  s: TransformerStep,
  heads: readonly number[][],
  embed: boolean,
  got: Map<string, tf.Tensor>,
): void {
  const H = s.model.size.heads;
  heads.forEach((asked, l) => {
    if (asked.length === 0) return;
    const pass = { xAug: s.capture.xAug[l]!, ctx: s.capture.ctx[l]!, dQkv: s.dQkv(l), dY: s.dY(l) };
    const w = headWeightGradients(asked, H, s.model.dHead, pass);
    const L = s.model.layerVars[l]!;
    asked.forEach((h, k) => {
      got.set(L.qkv[h]!.name, w.qkv[k]!);
      got.set(L.o[h]!.name, w.o[k]!);
    });
  });
  if (embed && s.embed) {
    const [dPre, dPost, dLogits] = s.embed as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
    const pass = { dPre, dPost, dLogits, xhat: s.capture.xhat![0]!, tn: s.capture.tn![0]! };
    for (const [name, g] of embedWeightGradients(s.model, s.tokens, pass)) got.set(name, g);
  }
}

/**
 * The step probe of a transformer's step (`StepProbe`), with its kernels for tests; `dispose`
 * frees `kept` (the forward's capture and the pass's gradients).
 */
export function transformerStepProbe(
  kernels: Float32Array,
  n: number,
  loss: tf.Scalar,
  gradients: StepProbe['gradients'],
  kept: tf.Tensor[],
): StepProbe & { kernels: Float32Array } {
  return {
    kernels,
    spectrum: kernelInput(kernels, n),
    loss,
    gradients,
    dispose: () => tf.dispose(kept),
  };
}
