/** What the bench scripts share: their argument reader, the median and one timed Session step. */
import type { Session, StepResult } from '../src/core/session';
import type { TransformerSize } from '../src/core/families/transformer/model';

/** The value after `--name` on the command line, else `dflt`. */
export const arg = (name: string, dflt: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1]! : dflt;
};

/** The upper median; NaN for no values. */
export const median = (xs: readonly number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

/**
 * One `advance` of `s`, synced on its loss so that `ms` is the step's wall time and not its
 * dispatch; the loss is disposed.
 */
export async function timedAdvance(s: Session): Promise<{ r: StepResult; ms: number }> {
  const t0 = performance.now();
  const r = await s.advance();
  await r.loss.data();
  r.loss.dispose();
  return { r, ms: performance.now() - t0 };
}

/** a / b, or null when either is missing or the quotient is not a finite number. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null) return null;
  const r = a / b;
  return Number.isFinite(r) ? r : null;
}

/** What bench/torch_step.py reads: the lab's step as sizes (BERT only). */
export interface TorchPeerConfig extends TransformerSize {
  batch: number;
  /** Masked positions per sequence, M = max(1, round(0.15·T)). */
  masked: number;
  lr: number;
  steps: number;
  warmup: number;
}

/** The line bench/torch_step.py prints. */
export interface TorchPeerResult {
  device: string;
  torch: string;
  threads: number;
  msPerStep: number;
  meanMsPerStep: number;
  steps: number;
  warmup: number;
  params: number;
}

/**
 * The peer's result from its stdout: the last line that is a JSON object (torch may warn on
 * earlier lines), with every field checked, since a wrong figure here would be reported as a
 * measurement. Throws with what is wrong.
 */
export function parseTorchResult(stdout: string): TorchPeerResult {
  const line = stdout
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.startsWith('{'))
    .pop();
  if (!line) throw new Error('torch_step.py printed no JSON line');
  const o = JSON.parse(line) as Record<string, unknown>;
  const str = (k: string): string => {
    const v = o[k];
    if (typeof v !== 'string' || v === '') throw new Error(`torch_step.py: ${k} is not a string`);
    return v;
  };
  const num = (k: string, integer = false): number => {
    const v = o[k];
    // JSON.parse gives no NaN or infinity: a number that is not negative is finite.
    if (typeof v !== 'number' || v < 0 || (integer && !Number.isInteger(v))) {
      throw new Error(`torch_step.py: ${k} is not a ${integer ? 'count' : 'non-negative number'}`);
    }
    return v;
  };
  return {
    device: str('device'),
    torch: str('torch'),
    threads: num('threads', true),
    msPerStep: num('msPerStep'),
    meanMsPerStep: num('meanMsPerStep'),
    steps: num('steps', true),
    warmup: num('warmup', true),
    params: num('params', true),
  };
}

/**
 * The parameter check between the lab model and the peer: the peer times the same step only if
 * it has exactly the lab model's parameters (same sizes, same tied decoder).
 */
export function paramCheck(
  lab: number,
  torch: number,
): { lab: number; torch: number; equal: boolean; note: string } {
  const equal = lab === torch;
  return {
    lab,
    torch,
    equal,
    note: equal
      ? `equal (${lab} parameters)`
      : `NOT equal: lab ${lab}, PyTorch ${torch} — the peer is not the same model, its ratios do not compare like with like`,
  };
}
