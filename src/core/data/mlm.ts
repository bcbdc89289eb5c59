import type { Rng } from '../rng';
import { DataError, MASK, NUM_SPECIAL } from './corpus';

/**
 * A masked-language-model batch of B windows of T tokens with M masked positions each.
 * `inputs` [B·T] are the corrupted ids the model reads; `positions` [B·M] are flat indices
 * b·T + t of the masked positions, ascending within each row; `targets` [B·M] are the original
 * ids at those positions, which the loss predicts.
 */
export interface MlmBatch {
  inputs: Int32Array;
  positions: Int32Array;
  targets: Int32Array;
  /** B, the number of windows. */
  batch: number;
  /** T, the window length in tokens. */
  seqLen: number;
  /** M = maskCount(T), the masked positions per window. */
  masked: number;
}

/** Fraction of positions selected for prediction (BERT's 15 %). */
export const MASK_RATE = 0.15;
/** Of the selected positions: probability the input becomes [MASK]. */
export const P_MASK = 0.8;
/** Of the selected positions: probability the input becomes a uniform random word id. */
export const P_RANDOM = 0.1;

/** M, the masked positions per window of length T: max(1, round(0.15·T)). */
export function maskCount(seqLen: number): number {
  return Math.max(1, Math.round(MASK_RATE * seqLen));
}

function check(stream: Uint16Array, batch: number, seqLen: number, vocabSize: number): void {
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`The batch size must be a positive integer, got ${batch}.`);
  }
  if (!Number.isInteger(seqLen) || seqLen < 1) {
    throw new RangeError(`The sequence length must be a positive integer, got ${seqLen}.`);
  }
  if (!Number.isInteger(vocabSize) || vocabSize <= NUM_SPECIAL) {
    throw new RangeError(`The vocabulary size must be an integer above ${NUM_SPECIAL}.`);
  }
  if (stream.length < seqLen) {
    throw new DataError(
      `The token stream has ${stream.length} tokens, fewer than the sequence length ${seqLen}.`,
    );
  }
}

/**
 * Fills row `b` of `out` from the window stream[start … start+T−1]: picks M distinct positions
 * uniformly (partial Fisher–Yates), then corrupts each with the BERT rule: [MASK] with
 * probability 0.8, a uniform id in [NUM_SPECIAL, vocabSize) with 0.1, unchanged with 0.1.
 */
function fillRow(
  out: MlmBatch,
  b: number,
  stream: Uint16Array,
  start: number,
  vocabSize: number,
  rng: Rng,
  scratch: Int32Array,
): void {
  const T = out.seqLen;
  const M = out.masked;
  const row = b * T;
  for (let t = 0; t < T; t++) {
    const id = stream[start + t]!;
    if (id >= vocabSize) {
      throw new DataError(
        `Token id ${id} at stream position ${start + t} is not below the vocabulary size ${vocabSize}; cap the stream first.`,
      );
    }
    out.inputs[row + t] = id;
    scratch[t] = t;
  }
  for (let j = 0; j < M; j++) {
    const k = j + rng.int(T - j);
    const tmp = scratch[j]!;
    scratch[j] = scratch[k]!;
    scratch[k] = tmp;
  }
  const chosen = scratch.subarray(0, M).sort();
  for (let j = 0; j < M; j++) {
    const flat = row + chosen[j]!;
    out.positions[b * M + j] = flat;
    out.targets[b * M + j] = out.inputs[flat]!;
    const u = rng.next();
    if (u < P_MASK) out.inputs[flat] = MASK;
    else if (u < P_MASK + P_RANDOM)
      out.inputs[flat] = NUM_SPECIAL + rng.int(vocabSize - NUM_SPECIAL);
  }
}

function emptyBatch(batch: number, seqLen: number): MlmBatch {
  const masked = maskCount(seqLen);
  return {
    inputs: new Int32Array(batch * seqLen),
    positions: new Int32Array(batch * masked),
    targets: new Int32Array(batch * masked),
    batch,
    seqLen,
    masked,
  };
}

/**
 * A training batch: B windows with starts uniform in [0, len − T], each masked as in `fillRow`.
 * `stream` must already be capped to `vocabSize` (see `capVocab`). Windows may span a [SEP];
 * a [SEP] can be selected for prediction like any other token.
 */
export function sampleMlmBatch(
  stream: Uint16Array,
  batch: number,
  seqLen: number,
  vocabSize: number,
  rng: Rng,
): MlmBatch {
  check(stream, batch, seqLen, vocabSize);
  const out = emptyBatch(batch, seqLen);
  const scratch = new Int32Array(seqLen);
  for (let b = 0; b < batch; b++) {
    const start = rng.int(stream.length - seqLen + 1);
    fillRow(out, b, stream, start, vocabSize, rng, scratch);
  }
  return out;
}

/**
 * `count` evaluation batches of `batchSize` windows whose starts are evenly spaced over the
 * whole stream: window w of W = count·batchSize starts at floor(w·(len − T)/(W − 1)) (0 when
 * W = 1). The windows depend only on the stream and the shape; the masks come from `rng`, so a
 * fixed-seed rng (e.g. `createRng(seed).fork('val')`) gives the same set in every run and
 * validation perplexity stays comparable.
 */
export function fixedMlmBatches(
  stream: Uint16Array,
  count: number,
  batchSize: number,
  seqLen: number,
  vocabSize: number,
  rng: Rng,
): MlmBatch[] {
  if (!Number.isInteger(count) || count < 1) {
    throw new RangeError(`The number of batches must be a positive integer, got ${count}.`);
  }
  check(stream, batchSize, seqLen, vocabSize);
  const windows = count * batchSize;
  const span = stream.length - seqLen;
  const scratch = new Int32Array(seqLen);
  const out: MlmBatch[] = [];
  for (let i = 0; i < count; i++) {
    const batch = emptyBatch(batchSize, seqLen);
    for (let b = 0; b < batchSize; b++) {
      const w = i * batchSize + b;
      const start = windows === 1 ? 0 : Math.floor((w * span) / (windows - 1));
      fillRow(batch, b, stream, start, vocabSize, rng, scratch);
    }
    out.push(batch);
  }
  return out;
}
