/**
 * The worker's checkpoints at evaluations (forks, issue 11): one per scheduled evaluation,
 * kept on the device (`Session.deviceCheckpoint`: tensor copies, no readback) until a fork or an
 * export with checkpoints reads one back. Bounded in count and in bytes; when full, the oldest
 * are thinned, so recent evaluations stay dense and older ones sparser.
 *
 * The rule: at most `capacity` entries (16), fewer when the entries are large (at most
 * `maxBytes` in all, but never fewer than 2). When one more would exceed that, the older half
 * of the entries is thinned to every other one, keeping the oldest: of 17 entries e0…e16, e1,
 * e3, e5 and e7 go (13 stay). The first evaluation (step 0) is never dropped.
 */

/** What the ring keeps: anything with a step, a size and a way to free it. */
export interface RingEntry {
  readonly step: number;
  /** Bytes it holds (device memory). */
  readonly bytes: number;
  dispose(): void;
}

/** Entries kept by default. */
export const RING_CAPACITY = 16;
/** Device bytes kept by default (weights and Adam's two moments per entry). */
export const RING_MAX_BYTES = 256 * 1024 * 1024;

export class CheckpointRing<T extends RingEntry> {
  private entries: T[] = [];

  constructor(
    readonly capacity = RING_CAPACITY,
    readonly maxBytes = RING_MAX_BYTES,
  ) {}

  /** The steps kept, oldest first. */
  steps(): number[] {
    return this.entries.map((e) => e.step);
  }

  get(step: number): T | undefined {
    return this.entries.find((e) => e.step === step);
  }

  /** Every entry, oldest first. */
  all(): readonly T[] {
    return this.entries;
  }

  /** How many entries fit when each holds `bytes`. */
  limit(bytes: number): number {
    const byBytes = bytes > 0 ? Math.floor(this.maxBytes / bytes) : this.capacity;
    return Math.max(2, Math.min(this.capacity, byBytes));
  }

  /**
   * Keeps `e` (a later step than every entry; one at a step already kept is disposed: the same
   * state), thinning the oldest half when the ring is full. Returns the steps dropped.
   */
  add(e: T): number[] {
    const last = this.entries[this.entries.length - 1];
    if (this.get(e.step) || (last && e.step < last.step)) {
      e.dispose();
      return [];
    }
    this.entries.push(e);
    const dropped: number[] = [];
    while (this.entries.length > this.limit(e.bytes)) dropped.push(...this.thin());
    return dropped;
  }

  /** Every other entry of the older half goes (the 2nd, 4th, …; the oldest stays). */
  private thin(): number[] {
    const half = Math.max(2, Math.floor(this.entries.length / 2));
    const kept: T[] = [];
    const dropped: number[] = [];
    this.entries.forEach((e, i) => {
      if (i < half && i % 2 === 1) {
        e.dispose();
        dropped.push(e.step);
      } else kept.push(e);
    });
    this.entries = kept;
    return dropped;
  }

  /** Drops the entries after `step` (a fork from `step`: those before are its history too). */
  keepUpTo(step: number): void {
    for (const e of this.entries) if (e.step > step) e.dispose();
    this.entries = this.entries.filter((e) => e.step <= step);
  }

  clear(): void {
    for (const e of this.entries) e.dispose();
    this.entries = [];
  }
}
