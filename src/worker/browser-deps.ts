import wasmPlain from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm?url';
import wasmSimd from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-simd.wasm?url';
import wasmThreaded from '@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm-threaded-simd.wasm?url';
import { parseCorpus } from '../core/data/corpus';
import { DataError } from '../core/data/corpus';
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
