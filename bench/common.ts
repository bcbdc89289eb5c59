/** What the bench scripts share: their argument reader, the median and one timed Session step. */
import type { Session, StepResult } from '../src/core/session';

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
