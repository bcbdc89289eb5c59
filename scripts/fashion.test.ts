import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';

const DIR = fileURLToPath(new URL('../public/data/fashion-mnist/', import.meta.url));
const read = (name: string): Buffer => readFileSync(DIR + name);
const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

interface Meta {
  classes: string[];
  imageShape: [number, number];
  subset: Record<'train' | 'test', { images: number }>;
  full: { copied: boolean };
  sha256: Record<string, string>;
}
const meta = JSON.parse(read('meta.json').toString('utf8')) as Meta;
const PX = 28 * 28;

describe('committed Fashion-MNIST subset', () => {
  it('matches every checksum in meta.json', () => {
    const names = Object.keys(meta.sha256);
    expect(names).toEqual(
      expect.arrayContaining([
        'subset-train.bin',
        'subset-train-labels.bin',
        'subset-test.bin',
        'subset-test-labels.bin',
      ]),
    );
    for (const name of names) expect(sha256(read(name)), name).toBe(meta.sha256[name]);
  });

  it.each([
    ['train', 6000],
    ['test', 1000],
  ] as const)('has %s images of 28×28 bytes with labels in 0…9', (split, n) => {
    expect(meta.imageShape).toEqual([28, 28]);
    expect(meta.subset[split].images).toBe(n);
    const images = read(`subset-${split}.bin`);
    const labels = read(`subset-${split}-labels.bin`);
    expect(images.length).toBe(n * PX);
    expect(labels.length).toBe(n);
    const perClass = new Array<number>(10).fill(0);
    for (const l of labels) {
      expect(l).toBeLessThan(10);
      perClass[l]!++;
    }
    // Fashion-MNIST is balanced; a contiguous prefix of n images keeps every class near n/10.
    for (const c of perClass) expect(c).toBeGreaterThan(n / 20);
    const mean = images.reduce((s, v) => s + v, 0) / images.length;
    expect(mean).toBeGreaterThan(40);
    expect(mean).toBeLessThan(110);
    expect(meta.classes).toHaveLength(10);
  });

  it('starts with the published label order', () => {
    expect([...read('subset-train-labels.bin').subarray(0, 10)]).toEqual([
      9, 0, 0, 3, 0, 2, 7, 2, 5, 5,
    ]);
    expect([...read('subset-test-labels.bin').subarray(0, 10)]).toEqual([
      9, 2, 1, 1, 6, 1, 4, 6, 5, 7,
    ]);
  });

  // Runs only where `npm run data` copied the full Fashion-MNIST IDX files (meta.full.copied and
  // public/data/fashion-mnist/full/); the committed tree has them, so CI runs it. A tree built
  // without the dataset package has the subset alone, and there it is skipped.
  it.runIf(meta.full.copied && existsSync(`${DIR}full`))(
    'equals the first images and labels of the copied IDX files',
    () => {
      const cases = [
        ['train-images-idx3-ubyte.gz', 2051, 60000, 'subset-train.bin', PX],
        ['train-labels-idx1-ubyte.gz', 2049, 60000, 'subset-train-labels.bin', 1],
        ['t10k-images-idx3-ubyte.gz', 2051, 10000, 'subset-test.bin', PX],
        ['t10k-labels-idx1-ubyte.gz', 2049, 10000, 'subset-test-labels.bin', 1],
      ] as const;
      for (const [gz, magic, count, subset, itemBytes] of cases) {
        const raw = gunzipSync(read(`full/${gz}`));
        expect(raw.readUInt32BE(0)).toBe(magic);
        expect(raw.readUInt32BE(4)).toBe(count);
        const header = magic === 2051 ? 16 : 8;
        if (magic === 2051) {
          expect(raw.readUInt32BE(8)).toBe(28);
          expect(raw.readUInt32BE(12)).toBe(28);
        }
        expect(raw.length).toBe(header + count * itemBytes);
        const sub = read(subset);
        expect(raw.subarray(header, header + sub.length).equals(sub)).toBe(true);
      }
    },
  );
});
