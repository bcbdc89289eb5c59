/** Milliseconds from a monotonic clock where the host has one (browser, worker, Node). */
export function now(): number {
  const p = (globalThis as { performance?: { now(): number } }).performance;
  return p ? p.now() : Date.now();
}
