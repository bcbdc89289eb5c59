import { LN, SOFTMAX } from '../../flops';
import type { TransformerSize } from './model';

/**
 * Forward FLOPs of one attention sublayer over B sequences of T tokens, heads run in `groups`
 * groups: q|k|v with bias row, scores and context, output projection (matmuls); q scaling,
 * softmax, summing the groups' outputs, bias, residual and LayerNorm (element-wise).
 */
export function attentionForward(
  B: number,
  T: number,
  d: number,
  H: number,
  groups: number,
): { matmul: number; elementwise: number } {
  const N = B * T;
  const matmul = 2 * N * (d + 1) * 3 * d + 2 * 2 * B * H * T * T * (d / H) + 2 * N * d * d;
  const elementwise =
    N * d + SOFTMAX * B * H * T * T + N * d * Math.max(0, groups - 1) + N * d + N * d + LN * N * d;
  return { matmul, elementwise };
}

/** Parameters of one head: q|k|v columns with biases, and its output-projection rows. */
export function headParams(s: TransformerSize): number {
  const dh = s.dModel / s.heads;
  return (s.dModel + 1) * 3 * dh + dh * s.dModel;
}
