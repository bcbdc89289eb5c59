/**
 * Reads a run file for viewing: in a module worker (`worker/import-entry.ts`) where the page has
 * workers, so parsing and checking a large file never freeze the page; on the calling thread
 * where it has none (Node tests) or was asked not to use them (`worker=0`). Both run the same
 * `readRunFileText`.
 */
import type {
  FromImportWorker,
  ImportProgress,
  ImportStage,
  RunImportResult,
  ToImportWorker,
} from '../store/run-import';
import { readRunFileText } from '../store/run-import';

/** A file as the picker gives it (a `File`), or any blob with a name. */
export type NamedBlob = Blob & { readonly name: string };

export function readRunFile(
  file: NamedBlob,
  onProgress: (p: ImportProgress) => void,
  opts: { inThread?: boolean } = {},
): Promise<RunImportResult> {
  let worker: Worker | null = null;
  if (!opts.inThread && typeof Worker !== 'undefined') {
    try {
      worker = new Worker(new URL('../worker/import-entry.ts', import.meta.url), {
        type: 'module',
        name: 'mat-lab-import',
      });
    } catch {
      worker = null;
    }
  }
  return worker ? inWorker(worker, file, onProgress) : inThread(file, onProgress);
}

function inWorker(
  worker: Worker,
  file: NamedBlob,
  onProgress: (p: ImportProgress) => void,
): Promise<RunImportResult> {
  const { name } = file;
  return new Promise<RunImportResult>((resolve) => {
    const finish = (result: RunImportResult) => {
      worker.terminate();
      resolve(result);
    };
    worker.onmessage = (e: MessageEvent<FromImportWorker>) => {
      const msg = e.data;
      if (msg.type === 'import-progress')
        onProgress({ name, stage: msg.stage, loaded: msg.loaded, total: msg.total });
      else finish(msg.result);
    };
    worker.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      const detail = typeof e.message === 'string' && e.message ? e.message : 'no details given';
      finish({ ok: false, message: `${name} could not be read: the import stopped (${detail}).` });
    };
    worker.onmessageerror = () =>
      finish({ ok: false, message: `${name} could not be read: its run could not be passed on.` });
    const request: ToImportWorker = { type: 'import', file, name };
    worker.postMessage(request);
  });
}

async function inThread(
  file: NamedBlob,
  onProgress: (p: ImportProgress) => void,
): Promise<RunImportResult> {
  const { name, size: total } = file;
  onProgress({ name, stage: 'reading', loaded: 0, total });
  let text: string;
  try {
    text = await file.text();
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    return { ok: false, message: `${name} could not be read: ${why}.` };
  }
  const stage = (s: ImportStage) => onProgress({ name, stage: s, loaded: total, total });
  return readRunFileText(text, name, stage);
}
