/**
 * What the transformers' 'step' kernels (BERT's, docs/method.md "The kernel") share: slicing the
 * batch's first n samples out of the step's pass, and the weight gradients of heads and of the
 * embeddings computed after the decision from the tap gradients and the forward's capture.
 */
import * as tf from '@tensorflow/tfjs';
import type { MlmEnds } from './model';

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
