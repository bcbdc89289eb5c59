import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Corpus } from '../core/data/corpus';
import { parseCorpus } from '../core/data/corpus';
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

export const nodeDeps: HandlerDeps = {
  loadCorpus: async () => loadCorpusFromDisk(),
  backendEnv: {},
};
