/**
 * Checkpoints in run files (issue 11, docs/run-format.md "checkpoints"): an export "with
 * checkpoints" writes the worker's checkpoints at evaluations into the file's optional
 * `checkpoints`, so an imported run can be forked from them. A checkpoint (docs/checkpoints.md)
 * is not JSON; here its typed arrays are written as base64 of their little-endian bytes
 * (`{ "f32": "…" }`, `{ "f64": "…" }`: exact and ≈ 1.33 bytes per byte, where decimal text would
 * take 10–20 characters per value) and the parts the file already holds are left out: the config
 * (the file's), the metrics and validations up to the step (the file's, cut there), and the
 * events still to replay (a fork drops them: `core/fork.ts`).
 */
import { z } from 'zod';
import type { RunCheckpoint, SessionCheckpoint } from './checkpoint';
import { CHECKPOINT_FORMAT, CHECKPOINT_VERSION } from './checkpoint';
import { LIVE_PARAMS, MODULE_ID_PATTERN, OVERRIDE_MODES } from './config';
import type { ExperimentConfig, LoggedEvent } from './config';
import type { FlopSplit } from './flops';
import type { PolicyParams } from './policies/types';
import { policyParams } from './policies/types';
import { DECISION_REASONS } from './policies/reasons';
import type { DecisionReason } from './types';

/** Most checkpoints a run file holds (the worker's ring keeps as many). */
export const MAX_FILE_CHECKPOINTS = 16;
/**
 * Most base64 text the checkpoints of one export may hold in all (the newest that fit are kept):
 * with the rest of the file it stays under the 100 MB a run file may have.
 */
export const MAX_CHECKPOINT_TEXT = 64 * 1024 * 1024;

const b64 = z
  .string()
  .max(MAX_CHECKPOINT_TEXT)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'not base64');
const f32 = z.object({ f32: b64 });
const f64 = z.object({ f64: b64 });
const int = z.number().int();
const step = int.min(0).max(2 ** 31);
const decision = z.object({
  updating: z.boolean(),
  reason: z.enum(DECISION_REASONS as [DecisionReason, ...DecisionReason[]]),
});
const decisions = z.array(decision).max(4096);
const flopSplit = z.record(z.string().max(16), z.number());
const loggedEvent = z.union([
  z.object({ step, name: z.enum(LIVE_PARAMS), from: z.number(), to: z.number() }),
  z.object({
    step,
    name: z.literal('override'),
    module: z.string().regex(MODULE_ID_PATTERN),
    from: z.enum(OVERRIDE_MODES),
    to: z.enum(OVERRIDE_MODES),
  }),
]);

/** One checkpoint as a run file holds it. */
export const SavedCheckpointSchema = z.object({
  step,
  createdAt: z.string().max(64),
  backend: z.object({ backend: z.string().max(32), adapter: z.string().max(256) }),
  session: z.object({
    weights: z
      .array(
        z.object({ name: z.string().max(128), shape: z.array(int.min(0)).max(8), values: f32 }),
      )
      .max(10_000),
    adam: z.array(z.object({ m: f32, v: f32, t: int.min(0) }).nullable()).max(10_000),
    rng: z.object({
      batches: z.object({
        key: z.tuple([int, int]),
        state: z.tuple([int, int, int, int]),
        spare: z.number().nullable(),
      }),
    }),
    params: z.record(z.string().max(32), z.union([z.number(), z.string().max(64), z.boolean()])),
    decisions,
    previous: decisions.nullable(),
    lastEvalStep: int.min(-1),
    pending: z.array(z.object({ name: z.enum(LIVE_PARAMS), value: z.number() })).max(8),
    overrides: z
      .array(z.tuple([z.string().regex(MODULE_ID_PATTERN), z.enum(['on', 'off'])]))
      .max(4096),
    history: z
      .array(
        z.object({
          step,
          lambdaMax: f64,
          spectra: f64,
          effRank: f64,
          stdErr: f64.optional(),
          ms: z.number(),
        }),
      )
      .max(1_000_000),
    decisionLog: z.array(z.object({ step, decisions })).max(1_000_000),
    events: z.array(loggedEvent).max(100_000),
    flops: z.object({ run: flopSplit, vanilla: flopSplit }),
  }),
  guard: z.object({
    first: z.number().nullable(),
    smooth: z.number().nullable(),
    min: z.number().nullable(),
    seen: int.min(0),
  }),
  medianStepMs: z.number().min(0).nullable(),
});
export type SavedCheckpoint = z.infer<typeof SavedCheckpointSchema>;

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** In every runtime the lab runs in (browsers, workers, Node); core's libraries do not type it. */
declare const TextDecoder: new () => { decode(bytes: Uint8Array): string };

const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const PAD = '='.charCodeAt(0);

/**
 * Base64 of `bytes`, written as character codes then decoded as text in one go (hundreds of MB a
 * second; `btoa` would need a binary string first, and is not in core's libraries).
 */
export function toBase64(bytes: Uint8Array): string {
  const n = bytes.length;
  const out = new Uint8Array(Math.ceil(n / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < n; i += 3) {
    const v = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out[o++] = CODES[v >> 18]!;
    out[o++] = CODES[(v >> 12) & 63]!;
    out[o++] = CODES[(v >> 6) & 63]!;
    out[o++] = CODES[v & 63]!;
  }
  if (i < n) {
    const v = (bytes[i]! << 16) | (i + 1 < n ? bytes[i + 1]! << 8 : 0);
    out[o++] = CODES[v >> 18]!;
    out[o++] = CODES[(v >> 12) & 63]!;
    out[o++] = i + 1 < n ? CODES[(v >> 6) & 63]! : PAD;
    out[o++] = PAD;
  }
  // ASCII bytes as UTF-8: one character each (TextDecoder is in browsers, workers and Node).
  return new TextDecoder().decode(out);
}

/** The bytes of base64 text; throws on text that is not (whole) base64. */
export function fromBase64(text: string): Uint8Array {
  if (text.length % 4 !== 0) throw new Error('base64 text of a length not a multiple of 4');
  const pad = text.endsWith('==') ? 2 : text.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((text.length / 4) * 3 - pad);
  const end = text.length - (pad > 0 ? 4 : 0);
  let o = 0;
  for (let i = 0; i < end; i += 4) {
    const v =
      (digit(text, i) << 18) |
      (digit(text, i + 1) << 12) |
      (digit(text, i + 2) << 6) |
      digit(text, i + 3);
    out[o++] = v >> 16;
    out[o++] = (v >> 8) & 255;
    out[o++] = v & 255;
  }
  if (pad > 0) {
    const v =
      (digit(text, end) << 18) |
      (digit(text, end + 1) << 12) |
      (pad === 1 ? digit(text, end + 2) << 6 : 0);
    out[o++] = v >> 16;
    if (pad === 1) out[o++] = (v >> 8) & 255;
  }
  return out;
}

function digit(text: string, i: number): number {
  const d = LOOKUP[text.charCodeAt(i)] ?? -1;
  if (d < 0) throw new Error(`base64: unexpected ${JSON.stringify(text[i])}`);
  return d;
}

/** Typed arrays are written little-endian, as every browser and Node on x86/ARM stores them. */
const littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

function bytesOf(a: Float32Array | Float64Array): Uint8Array {
  if (!littleEndian) throw new Error('checkpoints are written on little-endian machines only');
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

const encode32 = (a: Float32Array) => ({ f32: toBase64(bytesOf(a)) });
const encode64 = (a: Float64Array) => ({ f64: toBase64(bytesOf(a)) });

function decode32(x: { f32: string }, field: string): Float32Array {
  const b = fromBase64(x.f32);
  if (b.length % 4 !== 0) throw new Error(`${field}: not whole 32-bit floats`);
  return new Float32Array(b.buffer, b.byteOffset, b.length / 4).slice();
}

function decode64(x: { f64: string }, field: string): Float64Array {
  const b = fromBase64(x.f64);
  if (b.length % 8 !== 0) throw new Error(`${field}: not whole 64-bit floats`);
  return new Float64Array(b.buffer, b.byteOffset, b.length / 8).slice();
}

/** A checkpoint as a run file holds it (what the file already has is left out: see above). */
export function saveCheckpoint(c: RunCheckpoint): SavedCheckpoint {
  const s = c.session;
  return {
    step: s.step,
    createdAt: c.createdAt,
    backend: { ...c.backend },
    session: {
      weights: s.weights.map((w) => ({
        name: w.name,
        shape: w.shape.slice(),
        values: encode32(w.values),
      })),
      adam: s.adam.map((a) => a && { m: encode32(a.m), v: encode32(a.v), t: a.t }),
      rng: { batches: { ...s.rng.batches } },
      params: { ...s.params },
      decisions: s.decisions.map((d) => ({ ...d })),
      previous: s.previous ? s.previous.map((d) => ({ ...d })) : null,
      lastEvalStep: s.lastEvalStep,
      pending: s.pending.map((p) => ({ ...p })),
      overrides: s.overrides.map(([id, mode]) => [id, mode] as [string, 'on' | 'off']),
      history: s.history.map((e) => ({
        step: e.step,
        lambdaMax: encode64(e.lambdaMax),
        spectra: encode64(e.spectra),
        effRank: encode64(e.effRank),
        ...(e.stdErr ? { stdErr: encode64(e.stdErr) } : {}),
        ms: e.ms,
      })),
      decisionLog: s.decisionLog.map((e) => ({
        step: e.step,
        decisions: e.decisions.map((d) => ({ ...d })),
      })),
      events: s.events.map((e) => ({ ...e })),
      flops: { run: { ...s.flops.run }, vanilla: { ...s.flops.vanilla } },
    },
    guard: { ...c.guard },
    medianStepMs: c.medianStepMs,
  };
}

/** The parts of a run file a saved checkpoint is completed from. */
export interface CheckpointFileParts {
  config: ExperimentConfig;
  metrics: { step: number[]; loss: (number | null)[]; flops: number[]; vanillaFlops: number[] };
  validation: { step: number[]; perplexity: (number | null)[] };
}

/**
 * A run file's checkpoint as the worker restores it: the file's config, its metrics and
 * validations up to the checkpoint's step, no events left to replay. Throws (naming the field)
 * when the base64 is not whole floats; the rest is checked when restored (`checkRunCheckpoint`,
 * `Session.restore`).
 */
export function loadCheckpoint(saved: SavedCheckpoint, file: CheckpointFileParts): RunCheckpoint {
  const s = saved.session;
  const at = (field: string) => `checkpoints[step ${saved.step}].session.${field}`;
  const upTo = file.metrics.step.findIndex((x) => x > saved.step);
  const n = upTo < 0 ? file.metrics.step.length : upTo;
  const vUpTo = file.validation.step.findIndex((x) => x > saved.step);
  const nv = vUpTo < 0 ? file.validation.step.length : vUpTo;
  const orNaN = (x: number | null) => (x === null ? NaN : x);
  const session: SessionCheckpoint = {
    step: saved.step,
    weights: s.weights.map((w, i) => ({
      name: w.name,
      shape: w.shape.slice(),
      values: decode32(w.values, at(`weights.${i}`)),
    })),
    adam: s.adam.map(
      (a, i) =>
        a && {
          m: decode32(a.m, at(`adam.${i}.m`)),
          v: decode32(a.v, at(`adam.${i}.v`)),
          t: a.t,
        },
    ),
    rng: { batches: { ...s.rng.batches } },
    params: policyParams({ ...file.config, ...s.params } as PolicyParams),
    decisions: s.decisions.map((d) => ({ ...d })),
    previous: s.previous ? s.previous.map((d) => ({ ...d })) : null,
    lastEvalStep: s.lastEvalStep,
    pending: s.pending.map((p) => ({ ...p })),
    overrides: s.overrides.map(([id, mode]) => [id, mode]),
    history: s.history.map((e, i) => ({
      step: e.step,
      lambdaMax: decode64(e.lambdaMax, at(`history.${i}.lambdaMax`)),
      spectra: decode64(e.spectra, at(`history.${i}.spectra`)),
      effRank: decode64(e.effRank, at(`history.${i}.effRank`)),
      ...(e.stdErr ? { stdErr: decode64(e.stdErr, at(`history.${i}.stdErr`)) } : {}),
      ms: e.ms,
    })),
    decisionLog: s.decisionLog.map((e) => ({
      step: e.step,
      decisions: e.decisions.map((d) => ({ ...d })),
    })),
    events: s.events.map((e) => ({ ...e })) as LoggedEvent[],
    replay: { params: [], overrides: [] },
    flops: { run: { ...s.flops.run } as FlopSplit, vanilla: { ...s.flops.vanilla } as FlopSplit },
  };
  return {
    format: CHECKPOINT_FORMAT,
    version: CHECKPOINT_VERSION,
    createdAt: saved.createdAt,
    config: { ...file.config, events: [] },
    backend: { ...saved.backend },
    session,
    metrics: {
      step: Int32Array.from(file.metrics.step.slice(0, n)),
      loss: Float32Array.from(file.metrics.loss.slice(0, n), orNaN),
      flops: Float64Array.from(file.metrics.flops.slice(0, n)),
      vanillaFlops: Float64Array.from(file.metrics.vanillaFlops.slice(0, n)),
    },
    validation: {
      step: Int32Array.from(file.validation.step.slice(0, nv)),
      value: Float64Array.from(file.validation.perplexity.slice(0, nv), orNaN),
    },
    // JSON writes a NaN smoothed loss (none seen yet) as null.
    guard: { ...saved.guard, smooth: saved.guard.smooth ?? NaN },
    medianStepMs: saved.medianStepMs,
  };
}

/**
 * The checkpoints an export writes: the newest that fit {@link MAX_CHECKPOINT_TEXT} (an
 * estimate: 4/3 of their typed arrays' bytes), oldest first.
 */
export function checkpointsToSave(all: readonly RunCheckpoint[]): SavedCheckpoint[] {
  const kept: RunCheckpoint[] = [];
  let text = 0;
  for (let i = all.length - 1; i >= 0 && kept.length < MAX_FILE_CHECKPOINTS; i--) {
    const c = all[i]!;
    const s = c.session;
    let bytes = 0;
    for (const w of s.weights) bytes += w.values.byteLength;
    for (const a of s.adam) bytes += a ? a.m.byteLength + a.v.byteLength : 0;
    for (const e of s.history)
      bytes += e.lambdaMax.byteLength + e.spectra.byteLength + e.effRank.byteLength;
    const size = Math.ceil((bytes * 4) / 3);
    if (text + size > MAX_CHECKPOINT_TEXT) break;
    text += size;
    kept.unshift(c);
  }
  return kept.map(saveCheckpoint);
}
