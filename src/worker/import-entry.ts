/// <reference lib="webworker" />
/**
 * The run-file import worker: reads the file, parses and checks it, and builds the run data the
 * charts draw, off the main thread (a 50 MB file is seconds of JSON and checks; on the page they
 * froze it). One file per worker; the page ends the worker when the answer arrives.
 */
import type { FromImportWorker, ImportStage, ToImportWorker } from '../store/run-import';
import { readRunFileText } from '../store/run-import';

const scope = self as unknown as DedicatedWorkerGlobalScope;
/** Progress is posted at most this often while the file is read. */
const PROGRESS_MS = 100;

const post = (msg: FromImportWorker, transfer: Transferable[] = []) =>
  scope.postMessage(msg, transfer);

/**
 * The buffers of the typed arrays in `value` (the run data's metrics, evaluations, model view),
 * to transfer rather than copy: copying 900,000 steps' metrics cost the page a 400 ms task.
 */
function buffers(value: unknown, out = new Set<ArrayBuffer>(), depth = 0): Set<ArrayBuffer> {
  if (ArrayBuffer.isView(value)) {
    if (value.buffer instanceof ArrayBuffer) out.add(value.buffer);
  } else if (value !== null && typeof value === 'object' && depth < 6) {
    for (const v of Array.isArray(value) ? value : Object.values(value)) buffers(v, out, depth + 1);
  }
  return out;
}

/** The file's text, read in chunks so the page can show how far reading is. */
async function readText(file: Blob, total: number): Promise<string> {
  const reader = file.stream().getReader();
  const decoder = new TextDecoder();
  const parts: string[] = [];
  let loaded = 0;
  let posted = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    loaded += value.byteLength;
    parts.push(decoder.decode(value, { stream: true }));
    const now = performance.now();
    if (now - posted >= PROGRESS_MS) {
      posted = now;
      post({ type: 'import-progress', stage: 'reading', loaded, total });
    }
  }
  parts.push(decoder.decode());
  return parts.join('');
}

scope.onmessage = async (e: MessageEvent<ToImportWorker>) => {
  const { file, name } = e.data;
  const total = file.size;
  const stage = (s: ImportStage) =>
    post({ type: 'import-progress', stage: s, loaded: total, total });
  let text: string;
  try {
    text = await readText(file, total);
  } catch (err) {
    const why = err instanceof Error ? err.message : String(err);
    post({
      type: 'import-done',
      result: { ok: false, message: `${name} could not be read: ${why}.` },
    });
    return;
  }
  const result = readRunFileText(text, name, stage);
  post({ type: 'import-done', result }, result.ok ? [...buffers(result.data)] : []);
};
