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
