import type { Rng } from '../rng';

/** A tiny deterministic Rng (mulberry32) for tests that must not depend on the real one. */
export function testRng(seed: number): Rng {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const rng: Rng = {
    next,
    int: (n: number) => Math.floor(next() * n),
    normal: () => {
      const u = Math.max(next(), 1e-12);
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
    },
    fork: (label: string) => {
      let h = seed;
      for (const c of label) h = Math.imul(h ^ c.charCodeAt(0), 2654435761);
      return testRng(h >>> 0);
    },
  };
  return rng;
}
