import { MASK, NUM_SPECIAL } from '../data/corpus';
import type { MlmBatch } from '../data/mlm';
import { testRng } from './fake-rng';

/**
 * A random MLM batch for tests: n sequences of T token ids in NUM_SPECIAL … V − 1 (above the special
 * tokens), M distinct masked positions per sequence replaced by [MASK], targets the
 * original ids; positions are flat indices i·T + t, as `sampleMlmBatch` gives them.
 */
export function randomBatch(n: number, T: number, M: number, V: number, seed: number): MlmBatch {
  const rng = testRng(seed);
  const inputs = new Int32Array(n * T);
  const positions = new Int32Array(n * M);
  const targets = new Int32Array(n * M);
  for (let i = 0; i < n; i++) {
    for (let t = 0; t < T; t++) inputs[i * T + t] = NUM_SPECIAL + rng.int(V - NUM_SPECIAL);
    const chosen = new Set<number>();
    while (chosen.size < M) chosen.add(rng.int(T));
    [...chosen]
      .sort((a, b) => a - b)
      .forEach((t, j) => {
        positions[i * M + j] = i * T + t;
        targets[i * M + j] = inputs[i * T + t]!;
        inputs[i * T + t] = MASK;
      });
  }
  return { inputs, positions, targets, batch: n, seqLen: T, masked: M };
}
