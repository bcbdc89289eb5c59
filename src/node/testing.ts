/** Node test helpers for the committed data under public/data. */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Reads files of public/data/`folder` by name (or path below it). */
export function publicDataReader(folder: string): (name: string) => Buffer {
  const dir = fileURLToPath(new URL(`../../public/data/${folder}/`, import.meta.url));
  return (name) => readFileSync(dir + name);
}

/** The bytes of a view (a Node Buffer shares a larger pool) as an ArrayBuffer of their own. */
export const toArrayBuffer = (b: Uint8Array): ArrayBuffer =>
  b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;

export const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');

/** A UTF-8 JSON file's contents, as the type the test expects. */
export const parseJson = <T>(b: Buffer): T => JSON.parse(b.toString('utf8')) as T;
