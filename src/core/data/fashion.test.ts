import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { parseJson, publicDataReader, sha256, toArrayBuffer } from '../../node/testing';
import { testRng } from '../testing/fake-rng';
import { DataError } from './corpus';
import {
  FASHION_MEAN,
  FASHION_PIXELS,
  FASHION_STD,
  fashionFromIdx,
  parseFashionSubset,
  parseIdxImages,
  parseIdxLabels,
  sampleImageBatch,
} from './fashion';

const read = publicDataReader('fashion-mnist');

interface Meta {
  subset: Record<'train' | 'test', { images: number }>;
  full: { train: number; test: number };
  sha256: Record<string, string>;
}
const meta = parseJson<Meta>(read('meta.json'));

describe('Fashion-MNIST subset', () => {
  it('the committed files match meta.json checksums', () => {
    for (const f of [
      'subset-train.bin',
      'subset-train-labels.bin',
      'subset-test.bin',
      'subset-test-labels.bin',
    ]) {
      expect(sha256(read(f)), f).toBe(meta.sha256[f]);
    }
  });

  it('parses to [N, 28, 28, 1] standardised images and labels 0…9', () => {
    for (const split of ['train', 'test'] as const) {
      const images = read(`subset-${split}.bin`);
      const d = parseFashionSubset(
        toArrayBuffer(images),
        toArrayBuffer(read(`subset-${split}-labels.bin`)),
      );
      expect(d.count).toBe(meta.subset[split].images);
      expect(d.x.length).toBe(d.count * 28 * 28 * 1);
      expect(d.y.length).toBe(d.count);
      const seen = new Set(d.y);
      expect([...seen].sort((a, b) => a - b)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
      // Pixel 0 maps to −μ/σ, pixel 255 to (1 − μ)/σ; spot-check one value exactly.
      const j = 12345;
      expect(d.x[j]).toBeCloseTo((images[j]! / 255 - FASHION_MEAN) / FASHION_STD, 5);
      let mean = 0;
      for (const v of d.x) mean += v;
      mean /= d.x.length;
      // The subset's own mean differs from the full set's by sampling noise only.
      expect(Math.abs(mean)).toBeLessThan(0.02);
    }
  });

  it('refuses malformed files with a DataError', () => {
    const img = new ArrayBuffer(2 * FASHION_PIXELS);
    expect(() =>
      parseFashionSubset(new ArrayBuffer(FASHION_PIXELS + 1), new ArrayBuffer(1)),
    ).toThrow(DataError);
    expect(() => parseFashionSubset(new ArrayBuffer(0), new ArrayBuffer(0))).toThrow(DataError);
    expect(() => parseFashionSubset(img, new ArrayBuffer(3))).toThrow(/2 images/);
    expect(() => parseFashionSubset(img, new Uint8Array([1, 10]).buffer)).toThrow(
      /label 10 at image 1/,
    );
  });
});

describe('IDX format (full set, after gunzip)', () => {
  const images = new Uint8Array(gunzipSync(read('full/t10k-images-idx3-ubyte.gz')));
  const labels = new Uint8Array(gunzipSync(read('full/t10k-labels-idx1-ubyte.gz')));

  it('the t10k file parses and its first 1000 images and labels are the subset', () => {
    const im = parseIdxImages(images);
    expect(im).toMatchObject({ count: meta.full.test, rows: 28, cols: 28 });
    const sub = read('subset-test.bin');
    expect(Buffer.from(im.pixels.subarray(0, sub.length)).equals(sub)).toBe(true);
    const lb = parseIdxLabels(labels);
    expect(lb.length).toBe(meta.full.test);
    expect(Buffer.from(lb.subarray(0, 1000)).equals(read('subset-test-labels.bin'))).toBe(true);
    const full = fashionFromIdx(images, labels);
    const subset = parseFashionSubset(
      toArrayBuffer(sub),
      toArrayBuffer(read('subset-test-labels.bin')),
    );
    expect(full.count).toBe(10000);
    // Element loop: a deep toEqual over 784,000 floats takes seconds.
    let mismatches = 0;
    for (let i = 0; i < subset.x.length; i++) if (full.x[i] !== subset.x[i]) mismatches++;
    expect(mismatches).toBe(0);
    expect(Array.from(full.y.subarray(0, 1000))).toEqual(Array.from(subset.y));
  });

  it('the mean/std constants are those of the full training file', () => {
    const train = parseIdxImages(
      new Uint8Array(gunzipSync(read('full/train-images-idx3-ubyte.gz'))),
    );
    expect(train.count).toBe(meta.full.train);
    let s = 0;
    let s2 = 0;
    for (const p of train.pixels) {
      const v = p / 255;
      s += v;
      s2 += v * v;
    }
    const n = train.pixels.length;
    expect(s / n).toBeCloseTo(FASHION_MEAN, 10);
    expect(Math.sqrt(s2 / n - (s / n) ** 2)).toBeCloseTo(FASHION_STD, 10);
  });

  it('refuses gzipped bytes, wrong magic, wrong sizes and mismatched counts', () => {
    expect(() => parseIdxImages(new Uint8Array(read('full/t10k-images-idx3-ubyte.gz')))).toThrow(
      /magic|gzipped/,
    );
    expect(() => parseIdxImages(images.subarray(0, 10))).toThrow(DataError);
    expect(() => parseIdxImages(images.subarray(0, images.length - 1))).toThrow(
      /header announces 10000/,
    );
    expect(() => parseIdxLabels(images)).toThrow(/magic number 2051/);
    expect(() => parseIdxLabels(labels.subarray(0, 100))).toThrow(DataError);
    const shortLabels = Uint8Array.from(labels.subarray(0, 8 + 5));
    shortLabels.set([0, 0, 0, 5], 4);
    expect(() => fashionFromIdx(images, shortLabels)).toThrow(/5 labels for 10000 images/);
    const badHeader = Uint8Array.from(images.subarray(0, 16));
    badHeader.set([0, 0, 0, 0, 0, 0, 0, 32, 0, 0, 0, 28], 4);
    expect(() => parseIdxImages(badHeader)).toThrow(/32×28/);
  });
});

describe('sampleImageBatch', () => {
  it('copies whole images with their labels, reproducibly from the rng', () => {
    const data = parseFashionSubset(
      toArrayBuffer(read('subset-test.bin')),
      toArrayBuffer(read('subset-test-labels.bin')),
    );
    const a = sampleImageBatch(data, 8, testRng(4));
    const b = sampleImageBatch(data, 8, testRng(4));
    expect(a.x).toEqual(b.x);
    expect(a.y).toEqual(b.y);
    expect(a.x.length).toBe(8 * FASHION_PIXELS);
    // Image b of the batch is image rng.int(count) of the set, replayed here.
    const rng = testRng(4);
    for (let k = 0; k < 8; k++) {
      const i = rng.int(data.count);
      expect(a.y[k]).toBe(data.y[i]);
      expect(a.x.subarray(k * FASHION_PIXELS, (k + 1) * FASHION_PIXELS)).toEqual(
        data.x.subarray(i * FASHION_PIXELS, (i + 1) * FASHION_PIXELS),
      );
    }
    expect(() => sampleImageBatch(data, 0, testRng(1))).toThrow(RangeError);
  });
});
