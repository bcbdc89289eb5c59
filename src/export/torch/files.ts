import { zipSync, strToU8 } from 'fflate';
import type { ExperimentConfig } from '../../core/config';

/**
 * "Export as PyTorch" (README, "Export as PyTorch"): the folder a person takes to a machine with
 * PyTorch — the training script, the data preparation, the requirements, a README with the
 * commands and the experiment's config — from the lab's config. Pure (no DOM, no Node): the page
 * zips it, `npm run export:torch` writes it to disk.
 */

/** The template files, as text (Vite `?raw` in the page, read from disk by the CLI). */
export interface TorchTemplates {
  'mat_train.py': string;
  'prepare_data.py': string;
  'requirements.txt': string;
  'README.md': string;
}

export const TEMPLATE_NAMES = [
  'mat_train.py',
  'prepare_data.py',
  'requirements.txt',
  'README.md',
] as const satisfies readonly (keyof TorchTemplates)[];

/** The model families the script covers; the others with the reason it gives. */
export const TORCH_MODELS: readonly ExperimentConfig['model'][] = ['bert', 'vgg'];
export const TORCH_NOT_COVERED: Partial<Record<ExperimentConfig['model'], string>> = {
  switch: 'the Switch Transformer (routing, capacity, experts) is not ported',
  mlp: 'the 2D toy MLP is not ported (it trains in a browser tab in seconds)',
};

export interface TorchExportInput {
  /** The experiment (with its logged α/β changes and overrides as `events`). */
  config: ExperimentConfig;
  /**
   * Where `prepare_data.py` takes the lab's data from by default: the lab's `data/` URL (the
   * page) or a lab checkout's `public/data` folder (the CLI).
   */
  dataSource: string;
  /** Steps to train by default, written as the config's `stopAt` when that is 0. */
  steps?: number | undefined;
  /** A run file exported by the lab, shipped as `lab-run.json` (for `mat_train.py check`). */
  runJson?: string | undefined;
  /** Where the export came from, for the README (a link or a file name). */
  origin: string;
}

/** Why `config` cannot be exported, or null. */
export function torchExportProblem(
  config: Pick<ExperimentConfig, 'model'> & Partial<Pick<ExperimentConfig, 'fc'>>,
): string | null {
  const why = TORCH_NOT_COVERED[config.model];
  if (why !== undefined) {
    return `Export as PyTorch covers ${TORCH_MODELS.join(' and ')}; ${why}.`;
  }
  if (config.model === 'vgg' && (config.fc ?? 'none') !== 'none') {
    return `Export as PyTorch covers the VGG without classifier stages; this one has fc = ${config.fc} (set fc=none to export).`;
  }
  return null;
}

/** The folder's name: `mat-torch-<model>-seed<seed>`. */
export function torchExportName(config: Pick<ExperimentConfig, 'model' | 'seed'>): string {
  return `mat-torch-${config.model}-seed${config.seed}`;
}

/** The values the README's `{{…}}` placeholders take. */
function readmeValues(input: TorchExportInput, steps: number): Record<string, string> {
  const c = input.config;
  const sizes =
    c.model === 'bert'
      ? `tiny BERT, ${c.layers} layers × ${c.heads} heads, d = ${c.dModel}, FFN ${c.dFF}, T = ${c.seqLen}, vocabulary ${c.vocab}, modules ${c.modules} — Jane Austen masked words`
      : `small VGG, channels ${c.channels} (two convs per stage), filter groups of ${c.groupSize}, ${c.images} training images — Fashion-MNIST`;
  return {
    MODEL: c.model,
    SIZES: sizes,
    POLICY: c.policy,
    KERNEL: c.kernel,
    STEPS: String(steps),
    SEED: String(c.seed),
    DATA_SOURCE: input.dataSource,
    ORIGIN: input.origin,
    LAB_RUN: input.runJson === undefined ? 'no' : 'yes',
  };
}

/** Fills `{{NAME}}` placeholders; an unknown name is an error (a template and its values drifted). */
export function fillTemplate(text: string, values: Record<string, string>): string {
  return text.replace(/\{\{([A-Z_]+)\}\}/g, (_, name: string) => {
    const v = values[name];
    if (v === undefined)
      throw new Error(`The export template names {{${name}}}, which has no value.`);
    return v;
  });
}

/**
 * The exported folder, path → text: `mat_train.py`, `prepare_data.py`, `requirements.txt`,
 * `README.md`, `config.json` (the experiment; `stopAt` = `steps` when it was 0) and, given a run
 * file, `lab-run.json`. Throws with the reason when the model family is not covered.
 */
export function torchExportFiles(
  input: TorchExportInput,
  templates: TorchTemplates,
): Record<string, string> {
  const problem = torchExportProblem(input.config);
  if (problem) throw new Error(problem);
  const steps = input.config.stopAt > 0 ? input.config.stopAt : Math.max(1, input.steps ?? 200);
  const config: ExperimentConfig = { ...input.config, stopAt: steps };
  const files: Record<string, string> = {
    'mat_train.py': templates['mat_train.py'],
    'prepare_data.py': fillTemplate(templates['prepare_data.py'], {
      DATA_SOURCE: JSON.stringify(input.dataSource),
    }),
    'requirements.txt': templates['requirements.txt'],
    'README.md': fillTemplate(templates['README.md'], readmeValues(input, steps)),
    'config.json': `${JSON.stringify(config, null, 2)}\n`,
  };
  if (input.runJson !== undefined) files['lab-run.json'] = input.runJson;
  return files;
}

/** The folder as a zip (fflate), every file under `<name>/`; the scripts executable. */
export function torchExportZip(name: string, files: Record<string, string>): Uint8Array {
  const entries: Record<string, [Uint8Array, { os: number; attrs: number; level: 6 }]> = {};
  for (const [path, text] of Object.entries(files)) {
    // Unix permissions (os 3): rwxr-xr-x for the scripts, rw-r--r-- for the rest.
    const mode = path.endsWith('.py') ? 0o755 : 0o644;
    entries[`${name}/${path}`] = [strToU8(text), { os: 3, attrs: mode << 16, level: 6 }];
  }
  return zipSync(entries);
}
