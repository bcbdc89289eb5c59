import { DEFAULT_CONFIG } from '../config';
import type { ExperimentConfig } from '../config';
import type { Session } from '../session';

/**
 * A masked-language model small enough for many Session steps on the cpu backend in a test: one
 * layer of two heads, d = 8, eight tokens, 50 words, batches of two, a probe of three.
 */
export const TINY_MLM = {
  layers: 1,
  heads: 2,
  dModel: 8,
  dFF: 8,
  seqLen: 8,
  vocab: 50,
  batch: 2,
  probe: 3,
} as const satisfies Partial<ExperimentConfig>;

/** Advances `s` by `steps` steps; their training losses, read back. */
export async function trainLosses(s: Session, steps: number): Promise<number[]> {
  const losses: number[] = [];
  for (let i = 0; i < steps; i++) {
    const r = await s.advance();
    losses.push((await r.loss.data())[0]!);
    r.loss.dispose();
  }
  return losses;
}

/** A 1-layer, 2-head BERT on the cpu backend: steps in milliseconds (handler and worker tests). */
export const TINY_BERT_CPU: ExperimentConfig = {
  ...DEFAULT_CONFIG,
  layers: 1,
  heads: 2,
  dModel: 8,
  dFF: 16,
  seqLen: 8,
  vocab: 64,
  batch: 4,
  probe: 4,
  R: 2,
  K: 2,
  warmup: 2,
  valEvery: 4,
  valBatches: 1,
  backend: 'cpu',
};

/** An MLP that Adam with lr = 1 blows up: relu, 32-32, XOR (the divergence guard's tests). */
export const BLOWS_UP_MLP: ExperimentConfig = {
  ...DEFAULT_CONFIG,
  model: 'mlp',
  data: 'xor',
  hidden: '32,32',
  activation: 'relu',
  features: 'x,y,x2,y2,xy,sinx,siny',
  lr: 1,
  backend: 'cpu',
};
