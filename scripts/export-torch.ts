/**
 * npm run export:torch -- <run.json | URL> [--out DIR] [--steps N]
 *
 * Writes the "Export as PyTorch" folder (src/export/torch/) for the experiment of a lab run file
 * (shipped as lab-run.json too) or of a lab link (`http://…/?preset=vgg-fashion`, or just the
 * query `?model=bert&layers=4`). The data source is this checkout's public/data. Exit codes:
 * 0 written, 2 bad arguments or an experiment the export does not cover.
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import type { ExperimentConfig } from '../src/core/config';
import { runFileTooLarge, validateRunFile } from '../src/core/runfile';
import { parseExperimentParams } from '../src/core/url';
import { torchExportFiles, torchExportName } from '../src/export/torch/files';
import { readTorchTemplates } from '../src/export/torch/templates-node';
import { splitPageParams } from '../src/store/url-state';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** The experiment named by `arg`: a run file's config, or a link's. */
export function experimentOf(arg: string): {
  config: ExperimentConfig;
  runJson?: string;
  steps?: number;
  origin: string;
} {
  const looksLikeFile = existsSync(arg) || /\.json$/i.test(arg);
  if (looksLikeFile) {
    if (!existsSync(arg)) throw new Error(`${arg}: no such run file.`);
    const text = readFileSync(arg, 'utf8');
    const tooLarge = runFileTooLarge(Buffer.byteLength(text), arg);
    if (tooLarge) throw new Error(tooLarge);
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new Error(`${arg} is not JSON: ${e instanceof Error ? e.message : String(e)}.`);
    }
    const run = validateRunFile(json);
    return { config: run.config, runJson: text, steps: run.step, origin: `the run file ${arg}` };
  }
  let url: URL;
  try {
    url = new URL(arg, 'http://localhost/');
  } catch {
    throw new Error(`${arg} is neither a run file nor a lab link.`);
  }
  const { experiment } = splitPageParams(url.searchParams.entries());
  const parsed = parseExperimentParams(experiment);
  if (parsed.errors.length > 0) {
    throw new Error(`The link has problems: ${parsed.errors.map((e) => e.message).join(' ')}`);
  }
  return { config: parsed.config, origin: `the link ${arg}` };
}

function main(): number {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: 'string' }, steps: { type: 'string' } },
  });
  if (positionals.length !== 1) {
    console.error('usage: npm run export:torch -- <run.json | URL> [--out DIR] [--steps N]');
    return 2;
  }
  const steps = values.steps === undefined ? undefined : Number(values.steps);
  if (steps !== undefined && !(Number.isInteger(steps) && steps >= 1)) {
    console.error(`--steps: a positive integer, got ${values.steps}.`);
    return 2;
  }
  let files: Record<string, string>;
  let name: string;
  try {
    const e = experimentOf(positionals[0]!);
    name = torchExportName(e.config);
    files = torchExportFiles(
      {
        config: e.config,
        dataSource: join(root, 'public', 'data'),
        steps: steps ?? e.steps,
        runJson: e.runJson,
        origin: e.origin,
      },
      readTorchTemplates(),
    );
  } catch (e) {
    console.error(`export:torch: ${e instanceof Error ? e.message : String(e)}`);
    return 2;
  }
  const out = resolve(values.out ?? name);
  mkdirSync(out, { recursive: true });
  for (const [path, text] of Object.entries(files)) {
    writeFileSync(join(out, path), text);
    if (path.endsWith('.py')) chmodSync(join(out, path), 0o755);
  }
  console.log(`Wrote ${Object.keys(files).join(', ')} to ${out}`);
  console.log(
    `Next: cd ${out} && python3 prepare_data.py && python3 mat_train.py --out run.json (README.md: torchrun)`,
  );
  return 0;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main();
}
