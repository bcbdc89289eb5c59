import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import type { ExperimentConfig } from '../core/config';
import type { Corpus } from '../core/data/corpus';
import { parseCorpus } from '../core/data/corpus';
import type { FashionData } from '../core/data/fashion';
import {
  fashionFromIdx,
  fashionSplits,
  needsFullFashion,
  parseFashionSubset,
} from '../core/data/fashion';
import type { TaskData } from '../core/families';
import { taskDataKind } from '../core/families';
import type { HandlerDeps } from '../worker/handler';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

const toBuffer = (b: Buffer): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

/** The committed Austen corpus read from public/data (Node: tests, bench, CLI). */
export function loadCorpusFromDisk(): Corpus {
  const dir = join(root, 'public', 'data', 'austen');
  return parseCorpus({
    vocabJson: readFileSync(join(dir, 'vocab.json'), 'utf8'),
    train: toBuffer(readFileSync(join(dir, 'train.bin'))),
    val: toBuffer(readFileSync(join(dir, 'val.bin'))),
    test: toBuffer(readFileSync(join(dir, 'test.bin'))),
  });
}

/**
 * Fashion-MNIST from public/data: the committed subset when `images` ≤ 5000, else the full
 * gzipped IDX files (inflated with zlib, parsed by the same code as in the browser).
 */
export function loadFashionFromDisk(images: number): FashionData {
  const dir = join(root, 'public', 'data', 'fashion-mnist');
  if (!needsFullFashion(images)) {
    const train = parseFashionSubset(
      toBuffer(readFileSync(join(dir, 'subset-train.bin'))),
      toBuffer(readFileSync(join(dir, 'subset-train-labels.bin'))),
    );
    const test = parseFashionSubset(
      toBuffer(readFileSync(join(dir, 'subset-test.bin'))),
      toBuffer(readFileSync(join(dir, 'subset-test-labels.bin'))),
    );
    return fashionSplits(train, test, images, false);
  }
  const gz = (name: string) => new Uint8Array(gunzipSync(readFileSync(join(dir, 'full', name))));
  const train = fashionFromIdx(gz('train-images-idx3-ubyte.gz'), gz('train-labels-idx1-ubyte.gz'));
  const test = fashionFromIdx(gz('t10k-images-idx3-ubyte.gz'), gz('t10k-labels-idx1-ubyte.gz'));
  return fashionSplits(train, test, images, true);
}

/** Whatever data `config`'s task needs, from disk. */
export function loadTaskDataFromDisk(config: ExperimentConfig): TaskData {
  switch (taskDataKind(config)) {
    case 'corpus':
      return { corpus: loadCorpusFromDisk() };
    case 'fashion':
      return { fashion: loadFashionFromDisk(config.images) };
    case 'none':
      return {};
  }
}

export const nodeDeps: HandlerDeps = {
  loadCorpus: async () => loadCorpusFromDisk(),
  loadFashion: async (config) => loadFashionFromDisk(config.images),
  backendEnv: {},
};
