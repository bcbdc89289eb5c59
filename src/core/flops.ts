/**
 * Analytic FLOP counts (METHOD.md, "Compute accounting"). Conventions, used everywhere:
 * - a matmul [m, k]·[k, n] costs 2·m·k·n;
 * - an element-wise op costs 1 per output element; LayerNorm 8 per element (mean, subtract,
 *   square, mean, add ε + rsqrt, scale, gain, bias); softmax 5 per element; cross-entropy 6
 *   per logit (max, subtract, exp, sum, log, pick);
 * - the backward pass of an element-wise op costs twice its forward;
 * - a matmul's backward costs one matmul per operand that needs a gradient: the input-gradient
 *   is always paid (embeddings are trained, so every op between the loss and them is on the
 *   path), the weight-gradient only for updated parameters;
 * - Adam costs 12 per updated parameter;
 * - a gather or reshape costs nothing; validation passes are monitoring, not training, and are
 *   not charged to any policy.
 */
export interface StepFlops {
  forward: number;
  inputGrad: number;
  weightGrad: number;
  optimizer: number;
  total: number;
}

export const ADAM_FLOPS_PER_PARAM = 12;
/** FLOPs per element of a LayerNorm, a softmax and a cross-entropy (shared by every model). */
export const LN = 8;
export const SOFTMAX = 5;
export const XENT = 6;

export interface EvaluationFlops {
  forward: number;
  backward: number;
  perSample: number;
  gram: number;
  eigen: number;
  total: number;
}

/** A dense symmetric eigen-decomposition of an n × n kernel: ≈ 9n³ per module. */
export const eigenFlops = (modules: number, n: number): number => modules * 9 * n ** 3;

/** An evaluation's parts with their sum. */
export function evaluationTotal(parts: Omit<EvaluationFlops, 'total'>): EvaluationFlops {
  const { forward, backward, perSample, gram, eigen } = parts;
  return { ...parts, total: forward + backward + perSample + gram + eigen };
}
