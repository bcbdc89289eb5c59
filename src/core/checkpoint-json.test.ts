import { describe, expect, it } from 'vitest';
import type { RunCheckpoint } from './checkpoint';
import {
  checkpointsToSave,
  fromBase64,
  MAX_CHECKPOINT_TEXT,
  SavedCheckpointSchema,
  toBase64,
} from './checkpoint-json';

describe('base64 of typed arrays', () => {
  it('round-trips every length mod 3 and every byte value', () => {
    for (let n = 0; n < 300; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 255);
      const text = toBase64(bytes);
      expect(text.length).toBe(Math.ceil(n / 3) * 4);
      expect(fromBase64(text)).toEqual(bytes);
    }
    // Node's own encoder agrees.
    const b = Uint8Array.from({ length: 1000 }, (_, i) => (i * 101) & 255);
    expect(toBase64(b)).toBe(Buffer.from(b).toString('base64'));
  });

  it('keeps float bits exactly (NaN payloads, −0, subnormals)', () => {
    const a = new Float32Array([NaN, -0, 1e-45, 3.4028234663852886e38, -1.5]);
    const back = new Float32Array(fromBase64(toBase64(new Uint8Array(a.buffer))).buffer);
    expect(new Uint32Array(back.buffer)).toEqual(new Uint32Array(a.buffer));
  });

  it('refuses text that is not whole base64', () => {
    expect(() => fromBase64('abc')).toThrow(/multiple of 4/);
    expect(() => fromBase64('ab*d')).toThrow(/unexpected/);
  });
});

describe('the checkpoints field of run files', () => {
  it('refuses a checkpoint whose arrays are not base64, naming the field', () => {
    const r = SavedCheckpointSchema.safeParse({
      step: 0,
      createdAt: '',
      backend: { backend: 'cpu', adapter: '' },
      session: { weights: [{ name: 'w', shape: [1], values: { f32: '<script>' } }] },
    });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path.join('.')).toBe('session.weights.0.values.f32');
  });

  it('keeps the newest checkpoints that fit the size bound, oldest first', () => {
    // Each "checkpoint" holds 1/5 of the bound in weights: the newest 4 fit (4/3 · 4/5 > 1 … 3).
    const big = (step: number) =>
      ({
        createdAt: '',
        backend: { backend: 'cpu', adapter: '' },
        session: {
          step,
          weights: [
            { name: 'w', shape: [1], values: new Float32Array(MAX_CHECKPOINT_TEXT / 5 / 4) },
          ],
          adam: [null],
          rng: { batches: { key: [0, 0], state: [0, 0, 0, 0], spare: null } },
          params: {},
          decisions: [],
          previous: null,
          lastEvalStep: -1,
          pending: [],
          overrides: [],
          history: [],
          decisionLog: [],
          events: [],
          replay: { params: [], overrides: [] },
          flops: { run: {}, vanilla: {} },
        },
        guard: { first: null, smooth: NaN, min: null, seen: 0 },
        medianStepMs: null,
      }) as unknown as RunCheckpoint;
    const saved = checkpointsToSave([0, 10, 20, 30, 40, 50].map(big));
    expect(saved.map((c) => c.step)).toEqual([30, 40, 50]);
  });
});
