/**
 * The run's source of randomness, passed explicitly to data sampling, initialisation and probes.
 * Streams are deterministic functions of the seed and the chain of fork labels.
 */
export interface Rng {
  /** A uniform draw from [0, 1) with 32 bits of resolution. */
  next(): number;
  /** A uniform integer in 0 … n − 1 (exactly uniform, by rejection); n is an integer in 1 … 2³². */
  int(n: number): number;
  /** A standard normal draw N(0, 1) (Box–Muller). */
  normal(): number;
  /**
   * An independent stream keyed by this stream's seed and `label`. Does not draw from (or
   * otherwise change) this stream; the same label always gives the same child stream.
   */
  fork(label: string): Rng;
}

/**
 * A seeded stream's position, for checkpoints (docs/checkpoints.md): its key (which stream it is:
 * the seed and chain of fork labels, mixed) and sfc32's four state words, plus the Box–Muller
 * spare normal when one is held. Plain numbers, so it survives JSON and structured cloning.
 */
export interface RngState {
  key: [number, number];
  state: [number, number, number, number];
  spare: number | null;
}

/** The run's own generator (`createRng` and its forks): an `Rng` whose position can be saved. */
export interface SeededRng extends Rng {
  fork(label: string): SeededRng;
  /** Where the stream is now (nothing drawn). */
  save(): RngState;
  /**
   * Moves the stream to a saved position of the same stream (same seed and fork labels); a
   * state of another stream is refused, since continuing it would not be this run's draws.
   */
  restore(saved: RngState): void;
}

const TWO_32 = 4294967296;

/** A 32-bit avalanche mix (the "lowbias32" finaliser): every input bit flips ~half the output. */
function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x21f0aaad);
  x = Math.imul(x ^ (x >>> 15), 0x735a2d97);
  return (x ^ (x >>> 15)) >>> 0;
}

/** FNV-1a over UTF-16 code units, then mixed; `salt` gives a second, independent hash. */
function hashLabel(label: string, salt: number): number {
  let h = (0x811c9dc5 ^ salt) >>> 0;
  for (let i = 0; i < label.length; i++) {
    h = Math.imul(h ^ label.charCodeAt(i), 0x01000193);
  }
  return mix32(h ^ label.length);
}

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator) keyed by a 64-bit (k0, k1). */
function fromKey(k0: number, k1: number): SeededRng {
  let a = mix32(k0 ^ 0x9e3779b9);
  let b = mix32(k1 ^ 0x85ebca6b);
  let c = mix32((k0 + k1 + 0xc2b2ae35) >>> 0);
  let d = 1;
  let spare: number | null = null;

  const u32 = (): number => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t;
  };
  for (let i = 0; i < 12; i++) u32();

  const next = (): number => u32() / TWO_32;

  return {
    next,
    int(n: number): number {
      if (!Number.isInteger(n) || n < 1 || n > TWO_32) {
        throw new RangeError(`Rng.int needs an integer n in 1 … 2^32, got ${n}.`);
      }
      const limit = TWO_32 - (TWO_32 % n);
      let u = u32();
      while (u >= limit) u = u32();
      return u % n;
    },
    normal(): number {
      if (spare !== null) {
        const z = spare;
        spare = null;
        return z;
      }
      const r = Math.sqrt(-2 * Math.log(1 - next()));
      const theta = 2 * Math.PI * next();
      spare = r * Math.sin(theta);
      return r * Math.cos(theta);
    },
    fork(label: string): SeededRng {
      const c0 = mix32((k0 ^ hashLabel(label, 0x5bd1e995)) >>> 0);
      const c1 = mix32((k1 + mix32(c0 ^ hashLabel(label, 0x27d4eb2f))) >>> 0);
      return fromKey(c0, c1);
    },
    save(): RngState {
      return { key: [k0 >>> 0, k1 >>> 0], state: [a >>> 0, b >>> 0, c >>> 0, d >>> 0], spare };
    },
    restore(saved: RngState): void {
      const words = [...saved.key, ...saved.state];
      if (words.length !== 6 || !words.every((w) => Number.isInteger(w) && w >= 0 && w < TWO_32)) {
        throw new RangeError(
          'An rng state needs a key of 2 and a state of 4 unsigned 32-bit words.',
        );
      }
      if (saved.key[0] !== k0 >>> 0 || saved.key[1] !== k1 >>> 0) {
        throw new RangeError('This rng state belongs to another stream (another seed or label).');
      }
      if (saved.spare !== null && !Number.isFinite(saved.spare)) {
        throw new RangeError('An rng state’s spare normal must be a finite number or null.');
      }
      [a, b, c, d] = saved.state;
      spare = saved.spare;
    },
  };
}

/**
 * A seeded generator. `seed` is any safe integer (the run seed); its low and high 32-bit halves
 * are mixed into sfc32's state, and 12 outputs are discarded so nearby seeds decorrelate.
 */
export function createRng(seed: number): SeededRng {
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`The random seed must be a safe integer, got ${seed}.`);
  }
  const lo = seed >>> 0;
  const hi = Math.floor(seed / TWO_32) >>> 0;
  return fromKey(mix32(lo), mix32(hi ^ 0x6a09e667));
}
