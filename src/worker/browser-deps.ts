import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { DataError, parseCorpus } from '../core/data/corpus';
import type { FashionData } from '../core/data/fashion';
import {
  fashionFromIdx,
  fashionSplits,
  needsFullFashion,
  parseFashionSubset,
} from '../core/data/fashion';
import type { LoadProgress } from '../protocol/messages';
import type { HandlerDeps } from './handler';

async function fetchOk(path: string): Promise<Response> {
  const url = `${import.meta.env.BASE_URL}${path}`;
  let res: Response;
  try {
    res = await fetch(url);
  } catch (e) {
    throw new DataError(`could not fetch ${url} (${e instanceof Error ? e.message : String(e)})`);
  }
  if (!res.ok) throw new DataError(`${url} answered ${res.status} ${res.statusText}`);
  return res;
}

/** Reads a response body to the end, calling `onBytes` with each chunk's length. */
async function readAll(res: Response, onBytes: (n: number) => void): Promise<Uint8Array> {
  if (!res.body) {
    const b = new Uint8Array(await res.arrayBuffer());
    onBytes(b.byteLength);
    return b;
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    size += value.byteLength;
    onBytes(value.byteLength);
  }
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/**
 * Inflates a gzip file with the platform's DecompressionStream. A server may already have
 * decoded it (Content-Encoding: gzip): bytes without the gzip magic 1f 8b are returned as-is.
 */
async function gunzip(bytes: Uint8Array, name: string): Promise<Uint8Array> {
  if (bytes[0] !== 0x1f || bytes[1] !== 0x8b) return bytes;
  try {
    const stream = new Blob([bytes as BlobPart])
      .stream()
      .pipeThrough(new DecompressionStream('gzip'));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (e) {
    throw new DataError(
      `${name} is not a valid gzip file (${e instanceof Error ? e.message : String(e)})`,
    );
  }
}

const FASHION = 'data/fashion-mnist/';
const FULL_FILES = [
  'train-images-idx3-ubyte.gz',
  'train-labels-idx1-ubyte.gz',
  't10k-images-idx3-ubyte.gz',
  't10k-labels-idx1-ubyte.gz',
] as const;

/** The full set: four gzipped IDX files fetched in parallel with byte progress, then inflated. */
async function loadFullFashion(
  images: number,
  progress: (p: LoadProgress) => void,
): Promise<FashionData> {
  const what = 'Fashion-MNIST, full set (70,000 images)';
  const responses = await Promise.all(FULL_FILES.map((f) => fetchOk(`${FASHION}full/${f}`)));
  const sizes = responses.map((r) => Number(r.headers.get('content-length') ?? NaN));
  const total = sizes.every((s) => Number.isFinite(s) && s > 0)
    ? sizes.reduce((a, b) => a + b, 0)
    : null;
  let loaded = 0;
  progress({ what, loaded, total });
  const bodies = await Promise.all(
    responses.map((r) =>
      readAll(r, (n) => {
        loaded += n;
        progress({ what, loaded, total });
      }),
    ),
  );
  progress({ what, loaded, total: loaded });
  const [trainX, trainY, testX, testY] = await Promise.all(
    bodies.map((b, i) => gunzip(b, FULL_FILES[i]!)),
  );
  const train = fashionFromIdx(trainX!, trainY!);
  const test = fashionFromIdx(testX!, testY!);
  return fashionSplits(train, test, images, true);
}

/** Data and backend hooks for a browser context (worker or page). */
export const browserDeps: HandlerDeps = {
  async loadCorpus() {
    const base = 'data/austen/';
    const [vocab, train, val, test] = await Promise.all([
      fetchOk(base + 'vocab.json').then((r) => r.text()),
      fetchOk(base + 'train.bin').then((r) => r.arrayBuffer()),
      fetchOk(base + 'val.bin').then((r) => r.arrayBuffer()),
      fetchOk(base + 'test.bin').then((r) => r.arrayBuffer()),
    ]);
    return parseCorpus({ vocabJson: vocab, train, val, test });
  },
  async loadFashion(config, progress) {
    if (needsFullFashion(config.images)) return loadFullFashion(config.images, progress);
    const [x, y, tx, ty] = await Promise.all(
      [
        'subset-train.bin',
        'subset-train-labels.bin',
        'subset-test.bin',
        'subset-test-labels.bin',
      ].map((f) => fetchOk(FASHION + f).then((r) => r.arrayBuffer())),
    );
    return fashionSplits(
      parseFashionSubset(x!, y!),
      parseFashionSubset(tx!, ty!),
      config.images,
      false,
    );
  },
  backendEnv: {
    gpu: typeof navigator !== 'undefined' && 'gpu' in navigator ? navigator.gpu : undefined,
    wasmPaths: {
      'tfjs-backend-wasm.wasm': wasmPlain,
      'tfjs-backend-wasm-simd.wasm': wasmSimd,
      'tfjs-backend-wasm-threaded-simd.wasm': wasmThreaded,
    },
    wasmThreads: false,
  },
};
