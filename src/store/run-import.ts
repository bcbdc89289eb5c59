/**
 * Reading a run file for viewing: size cap, JSON, the schema and its cross-field checks
 * (`validateRunFile`), then the run data the charts draw (`runDataFromFile`). Pure: the import
 * worker (`worker/import-entry.ts`) runs it off the main thread, and the page runs it in-thread
 * where there are no workers (Node tests, `worker=0`). Also the import worker's messages, both
 * ways.
 */
import { runFileTooLarge, validateRunFile } from '../core/runfile';
import { runDataFromFile } from './reduce';
import type { RunData } from './store';

/** A run file read for viewing, or the sentence saying why it was not. */
export type RunImportResult = { ok: true; data: RunData } | { ok: false; message: string };

/** What the import is doing: reading the file's bytes, parsing JSON, checking the run. */
export type ImportStage = 'reading' | 'parsing' | 'checking';

/** An import in progress, as the Share panel shows it. */
export interface ImportProgress {
  name: string;
  stage: ImportStage;
  /** Bytes read so far (all of them once parsing starts) of `total`, the file's size. */
  loaded: number;
  total: number;
}

/** Page → import worker: read this file. */
export interface ToImportWorker {
  type: 'import';
  file: Blob;
  name: string;
}

/** Import worker → page: progress, then the result (once). */
export type FromImportWorker =
  | { type: 'import-progress'; stage: ImportStage; loaded: number; total: number }
  | { type: 'import-done'; result: RunImportResult };

const why = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * A run file's text as run data; `stage` is told when parsing and checking start. The messages
 * name the file, and for a file that is not a run the first bad field.
 */
export function readRunFileText(
  text: string,
  name: string,
  stage: (s: ImportStage) => void = () => {},
): RunImportResult {
  // Before parsing (the file's size was checked before reading it; its length in UTF-16 units
  // is at most its size in bytes).
  const tooLarge = runFileTooLarge(text.length, name);
  if (tooLarge) return { ok: false, message: tooLarge };
  stage('parsing');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    return { ok: false, message: `${name} could not be imported: it is not JSON (${why(e)}).` };
  }
  stage('checking');
  try {
    return { ok: true, data: runDataFromFile(validateRunFile(json)) };
  } catch (e) {
    return { ok: false, message: `${name} could not be imported. ${why(e)}` };
  }
}
