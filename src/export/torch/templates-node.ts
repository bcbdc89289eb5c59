import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TorchTemplates } from './files';
import { TEMPLATE_NAMES } from './files';

/** The folder of the export's template files. */
export const TEMPLATE_DIR = join(dirname(fileURLToPath(import.meta.url)), 'templates');

/** The template files read from disk (the CLI, which runs without Vite's `?raw`). */
export function readTorchTemplates(): TorchTemplates {
  return Object.fromEntries(
    TEMPLATE_NAMES.map((name) => [name, readFileSync(join(TEMPLATE_DIR, name), 'utf8')]),
  ) as unknown as TorchTemplates;
}
