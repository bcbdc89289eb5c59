import { describe, expect, it } from 'vitest';
import { loadFashionFromDisk } from '../../node/deps';
import { DataError } from './corpus';
import type { ImageSet } from './fashion';
import {
  FASHION_PIXELS,
  FASHION_VAL_COUNT,
  FASHION_VAL_START,
  fashionSplits,
  needsFullFashion,
  sliceImages,
} from './fashion';

/** A fake set whose image i has every pixel = i and label i mod 10 (so slices are traceable). */
function numbered(count: number): ImageSet {
  const x = new Float32Array(count * FASHION_PIXELS);
  const y = new Int32Array(count);
  for (let i = 0; i < count; i++) {
    x.fill(i, i * FASHION_PIXELS, (i + 1) * FASHION_PIXELS);
    y[i] = i % 10;
  }
  return { x, y, count };
}
const ids = (s: ImageSet) => Array.from({ length: s.count }, (_, i) => s.x[i * FASHION_PIXELS]!);

describe('Fashion-MNIST splits', () => {
  const file = numbered(7000);
  const test = numbered(20);

  it('validation is images 5000 … 5999; training the first images before it', () => {
    const d = fashionSplits(file, test, 300, false);
    expect(ids(d.val)).toEqual(Array.from({ length: 1000 }, (_, i) => 5000 + i));
    expect(ids(d.train)).toEqual(Array.from({ length: 300 }, (_, i) => i));
    expect(d.test).toBe(test);
  });

  it('more than 5000 training images skip the validation block', () => {
    const d = fashionSplits(file, test, 5500, true);
    const t = ids(d.train);
    expect(t).toHaveLength(5500);
    expect(t[4999]).toBe(4999);
    expect(t[5000]).toBe(6000);
    expect(t[5499]).toBe(6499);
    expect(d.train.y[5000]).toBe(0);
    expect(t.some((v) => v >= FASHION_VAL_START && v < FASHION_VAL_START + FASHION_VAL_COUNT)).toBe(
      false,
    );
  });

  it('refuses a file too short for the validation block, or too few images', () => {
    expect(() => fashionSplits(numbered(5999), test, 100, false)).toThrow(DataError);
    expect(() => fashionSplits(file, test, 6001, true)).toThrow(/6000 besides/);
  });

  it('sliceImages clamps its range', () => {
    expect(sliceImages(numbered(3), 2, 10).count).toBe(1);
    expect(sliceImages(numbered(3), 5, 10).count).toBe(0);
  });

  it('needsFullFashion: above 5000 training images', () => {
    expect(needsFullFashion(5000)).toBe(false);
    expect(needsFullFashion(5001)).toBe(true);
  });

  it('the disk loader: subset for ≤ 5000, full IDX set above, same validation images', () => {
    const sub = loadFashionFromDisk(2000);
    expect(sub.full).toBe(false);
    expect([sub.train.count, sub.val.count, sub.test.count]).toEqual([2000, 1000, 1000]);
    const full = loadFashionFromDisk(59000);
    expect(full.full).toBe(true);
    expect([full.train.count, full.val.count, full.test.count]).toEqual([59000, 1000, 10000]);
    expect(full.val.x).toEqual(sub.val.x);
    expect(full.val.y).toEqual(sub.val.y);
    expect(full.train.x.subarray(0, 2000 * FASHION_PIXELS)).toEqual(sub.train.x);
    // The subset's test images are the first 1000 of t10k.
    expect(full.test.y.subarray(0, 1000)).toEqual(sub.test.y);
  }, 60_000);
});
