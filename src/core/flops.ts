/**
 * Analytic FLOP counts (docs/method.md, "FLOP accounting"). Conventions, used everywhere:
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

/**
 * The parts a run's FLOPs are split into: a training step's four, and the mNTK evaluations
 * (`kernel`), in display order.
 */
export const FLOP_PARTS = ['forward', 'inputGrad', 'weightGrad', 'optimizer', 'kernel'] as const;
export type FlopPart = (typeof FLOP_PARTS)[number];
/** FLOPs per part (cumulative over a run where it says so). */
export type FlopSplit = Record<FlopPart, number>;

/**
 * The cumulative parts after `step` training steps: what the policy was charged (`run`) and
 * what vanilla would have spent for the same steps (every module updated, no mNTK).
 */
export interface FlopSplits {
  step: number;
  run: FlopSplit;
  vanilla: FlopSplit;
}

export function zeroSplit(): FlopSplit {
  return { forward: 0, inputGrad: 0, weightGrad: 0, optimizer: 0, kernel: 0 };
}

/** Adds one step's FLOPs and `kernel` FLOPs of mNTK evaluation to `split`, in place. */
export function addStepFlops(split: FlopSplit, step: StepFlops, kernel = 0): void {
  split.forward += step.forward;
  split.inputGrad += step.inputGrad;
  split.weightGrad += step.weightGrad;
  split.optimizer += step.optimizer;
  split.kernel += kernel;
}

/** The sum of the parts, in `FLOP_PARTS` order: a run's total is defined as this sum. */
export function splitTotal(split: FlopSplit): number {
  let t = 0;
  for (const p of FLOP_PARTS) t += split[p];
  return t;
}

export const ADAM_FLOPS_PER_PARAM = 12;
/** FLOPs per element of a LayerNorm, a softmax and a cross-entropy (shared by every model). */
export const LN = 8;
export const SOFTMAX = 5;
export const XENT = 6;

/** A step's parts with their sum. */
export function stepTotal(parts: Omit<StepFlops, 'total'>): StepFlops {
  const { forward, inputGrad, weightGrad, optimizer } = parts;
  return { ...parts, total: forward + inputGrad + weightGrad + optimizer };
}

/**
 * The input gradients a 'step' kernel's pass runs beyond the step as charged: its backward
 * reaches every tap, so it runs the all-updated step's input gradients, of which the charged step
 * (`step(updating)`, a family's step FLOPs) runs only those its updated modules need.
 */
export function unchargedInputGrads(
  step: (updating: boolean[]) => StepFlops,
  updating: boolean[],
): number {
  return step(updating.map(() => true)).inputGrad - step(updating).inputGrad;
}

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

/**
 * The eigen-decompositions of a `SpectrumInput` (kernel.ts): ≈ 9q³ per module whose matrix is
 * q × q (n for Θ_m itself, q < n for the smaller ĜᵀĜ).
 */
export const eigenFlopsOf = (sides: readonly number[]): number =>
  sides.reduce((a, q) => a + 9 * q ** 3, 0);

/** An evaluation's parts with their sum. */
export function evaluationTotal(parts: Omit<EvaluationFlops, 'total'>): EvaluationFlops {
  const { forward, backward, perSample, gram, eigen } = parts;
  return { ...parts, total: forward + backward + perSample + gram + eigen };
}
