import { describe, expect, it } from 'vitest';
import { createRng } from '../rng';
import { DataError, MASK, NUM_SPECIAL } from './corpus';
import { fixedMlmBatches, maskCount, sampleMlmBatch } from './mlm';
import type { MlmBatch } from './mlm';

/** stream[p] = NUM_SPECIAL + p: every id names its own position, so windows can be recovered. */
function positionalStream(length: number): Uint16Array {
  return Uint16Array.from({ length }, (_, p) => NUM_SPECIAL + p);
}

/**
 * The window start of row b, recovered from any position that the batch left unchanged, and
 * checked against every position: unselected inputs and all targets equal stream[start + t].
 */
function checkRows(batch: MlmBatch, stream: Uint16Array, vocabSize: number): number[] {
  const { seqLen: T, masked: M } = batch;
  const starts: number[] = [];
  for (let b = 0; b < batch.batch; b++) {
    const rowPos = Array.from(batch.positions.subarray(b * M, (b + 1) * M));
    for (const p of rowPos) {
      expect(p).toBeGreaterThanOrEqual(b * T);
      expect(p).toBeLessThan((b + 1) * T);
    }
    for (let j = 1; j < M; j++) expect(rowPos[j]!).toBeGreaterThan(rowPos[j - 1]!);
    const selected = new Set(rowPos.map((p) => p - b * T));
    const free = [...Array(T).keys()].find((t) => !selected.has(t));
    const start =
      free !== undefined
        ? batch.inputs[b * T + free]! - NUM_SPECIAL - free
        : batch.targets[b * M]! - NUM_SPECIAL - (rowPos[0]! - b * T);
    expect(start).toBeGreaterThanOrEqual(0);
    expect(start).toBeLessThanOrEqual(stream.length - T);
    for (let t = 0; t < T; t++) {
      const input = batch.inputs[b * T + t]!;
      expect(input).toBeLessThan(vocabSize);
      if (!selected.has(t)) expect(input).toBe(stream[start + t]);
    }
    rowPos.forEach((p, j) => expect(batch.targets[b * M + j]).toBe(stream[start + p - b * T]));
    starts.push(start);
  }
  return starts;
}

/** Row r's window start in a positionalStream batch, read from the targets (no assertions). */
function windowStart(batch: MlmBatch, r: number): number {
  const j = r * batch.masked;
  return batch.targets[j]! - NUM_SPECIAL - (batch.positions[j]! - r * batch.seqLen);
}

describe('maskCount', () => {
  it('is max(1, round(0.15·T))', () => {
    expect([1, 4, 8, 10, 32, 64, 128, 256].map(maskCount)).toEqual([1, 1, 1, 2, 5, 10, 19, 38]);
  });
});

describe('sampleMlmBatch', () => {
  const V = 1000;
  const stream = positionalStream(V - NUM_SPECIAL);

  it('masks exactly M unique, sorted, in-range positions per row and keeps the original targets', () => {
    for (const T of [1, 5, 32, 128]) {
      const batch = sampleMlmBatch(stream, 8, T, V, createRng(T));
      expect(batch.batch).toBe(8);
      expect(batch.seqLen).toBe(T);
      expect(batch.masked).toBe(maskCount(T));
      expect(batch.inputs.length).toBe(8 * T);
      expect(batch.positions.length).toBe(8 * batch.masked);
      expect(batch.targets.length).toBe(8 * batch.masked);
      checkRows(batch, stream, V);
    }
  });

  it('is deterministic for equal seeds', () => {
    const a = sampleMlmBatch(stream, 4, 32, V, createRng(99));
    const b = sampleMlmBatch(stream, 4, 32, V, createRng(99));
    const c = sampleMlmBatch(stream, 4, 32, V, createRng(100));
    expect(a).toEqual(b);
    expect(a.inputs).not.toEqual(c.inputs);
  });

  it('follows the 80/10/10 rule within 5σ binomial bounds', () => {
    const rng = createRng(1);
    let n = 0;
    let masked = 0;
    let random = 0;
    let kept = 0;
    for (let i = 0; i < 100; i++) {
      const batch = sampleMlmBatch(stream, 64, 128, V, rng);
      batch.positions.forEach((p, j) => {
        const input = batch.inputs[p]!;
        const target = batch.targets[j]!;
        n++;
        if (input === MASK) masked++;
        else if (input === target) kept++;
        else {
          random++;
          expect(input).toBeGreaterThanOrEqual(NUM_SPECIAL);
          expect(input).toBeLessThan(V);
        }
      });
    }
    // Each selected position is an independent categorical draw, so each class count is
    // Binomial(n, p) with sd √(n·p(1−p)); a 5σ band fails by chance with probability ≈ 6e-7.
    // A random replacement equals the original with probability 1/(V − 4), counted as "kept".
    const pCollide = 1 / (V - NUM_SPECIAL);
    const expected = { masked: 0.8, random: 0.1 * (1 - pCollide), kept: 0.1 + 0.1 * pCollide };
    const within = (count: number, p: number): void =>
      expect(Math.abs(count - n * p)).toBeLessThan(5 * Math.sqrt(n * p * (1 - p)));
    expect(n).toBe(100 * 64 * 19);
    within(masked, expected.masked);
    within(random, expected.random);
    within(kept, expected.kept);
  });

  it('selects each position and each window start uniformly (5σ per bin)', () => {
    const T = 20;
    const M = maskCount(T);
    const short = positionalStream(T + 4);
    const rng = createRng(2);
    const rows = 20_000;
    const posCount = new Array<number>(T).fill(0);
    const startCount = new Array<number>(5).fill(0);
    const batch = 100;
    for (let i = 0; i < rows / batch; i++) {
      const b = sampleMlmBatch(short, batch, T, V, rng);
      if (i === 0) checkRows(b, short, V);
      for (let r = 0; r < batch; r++) startCount[windowStart(b, r)]!++;
      b.positions.forEach((p) => posCount[p % T]!++);
    }
    const bin = (c: number, trials: number, p: number): void =>
      expect(Math.abs(c - trials * p)).toBeLessThan(5 * Math.sqrt(trials * p * (1 - p)));
    for (const c of posCount) bin(c, rows, M / T);
    for (const c of startCount) bin(c, rows, 1 / 5);
  });

  it('rejects streams that are too short or not capped', () => {
    expect(() => sampleMlmBatch(positionalStream(10), 1, 11, V, createRng(0))).toThrow(DataError);
    expect(() => sampleMlmBatch(positionalStream(100), 2, 50, 50, createRng(0))).toThrow(DataError);
    expect(() => sampleMlmBatch(stream, 0, 8, V, createRng(0))).toThrow(RangeError);
  });
});

describe('fixedMlmBatches', () => {
  const V = 2000;
  const stream = positionalStream(V - NUM_SPECIAL);

  it('uses evenly spaced windows from the start to the end of the stream', () => {
    const batches = fixedMlmBatches(stream, 3, 4, 16, V, createRng(5));
    expect(batches).toHaveLength(3);
    const starts = batches.flatMap((b) => checkRows(b, stream, V));
    const span = stream.length - 16;
    expect(starts).toEqual(Array.from({ length: 12 }, (_, w) => Math.floor((w * span) / 11)));
  });

  it('keeps the windows fixed across rngs and the masks fixed for equal seeds', () => {
    const a = fixedMlmBatches(stream, 2, 3, 32, V, createRng(1).fork('val'));
    const b = fixedMlmBatches(stream, 2, 3, 32, V, createRng(1).fork('val'));
    const c = fixedMlmBatches(stream, 2, 3, 32, V, createRng(2).fork('val'));
    expect(a).toEqual(b);
    expect(a.flatMap((x) => checkRows(x, stream, V))).toEqual(
      c.flatMap((x) => checkRows(x, stream, V)),
    );
    expect(a[0]!.positions).not.toEqual(c[0]!.positions);
    expect(
      fixedMlmBatches(stream, 1, 1, 8, V, createRng(0)).flatMap((x) => checkRows(x, stream, V)),
    ).toEqual([0]);
  });
});
