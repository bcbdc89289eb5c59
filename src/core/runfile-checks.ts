/**
 * The cross-field checks of an imported run file (docs/run-format.md, "Checks on import"): the
 * modules the config implies, every per-module array's length, spectra of `probe.n` values,
 * weights whose shape matches their values, metric arrays of equal length and steps in order.
 * Pure data (no TF.js): the modules a config implies are derived here from its sizes, in the
 * order each family's model lists them (`families/<name>/model.ts`; a test compares them with
 * the models).
 */
import type { ExperimentConfig } from './config';
import { fcWidths } from './config';
import { FASHION_SIDE } from './data/fashion';
import type { ModuleKind } from './families/module-kinds';
import { moduleSelection } from './families/transformer/selection';

/** Largest step a run file may name (steps are counted in 32-bit integers). */
export const MAX_FILE_STEP = 2 ** 31;

/** A module the config implies, with the names of its variables and the shapes we know. */
export interface ExpectedModule {
  id: string;
  kind: ModuleKind;
  /** Variables the file's `weights` must hold for it; `shape` null: not checked. */
  weights: { name: string; shape: number[] | null }[];
}

const widths = (list: string) => list.split(',').map(Number);

/**
 * The modules `config` implies, in kernel order, with their variables (docs/run-format.md,
 * "Per family"). A config the schema accepted always gives a list (possibly huge, so callers
 * compare its length first through {@link expectedModuleCount}).
 */
export function expectedModules(config: ExperimentConfig): ExpectedModule[] {
  const out: ExpectedModule[] = [];
  switch (config.model) {
    case 'mlp': {
      let fanIn = config.features.split(',').length;
      widths(config.hidden).forEach((H, l) => {
        for (let j = 0; j < H; j++) {
          const id = `L${l}.N${j}`;
          out.push({ id, kind: 'neuron', weights: [{ name: id, shape: [fanIn + 1] }] });
        }
        fanIn = H;
      });
      return out;
    }
    case 'vgg': {
      const g = config.groupSize;
      let cin = 1;
      let l = 0;
      for (const c of widths(config.channels)) {
        for (let j = 0; j < 2; j++, l++) {
          for (let q = 0; q < c / g; q++) {
            const id = `C${l}.G${q}`;
            out.push({
              id,
              kind: 'filters',
              weights: [
                { name: `${id}.w`, shape: [3, 3, cin, g] },
                { name: `${id}.b`, shape: [g] },
              ],
            });
          }
          cin = c;
        }
      }
      // The classifier's hidden stages (`fc`): unit groups F{s}.G{q}, weights [in, g].
      // Each stage's pool halves the side (floor): 28 → 14 → 7 for two stages.
      const side = FASHION_SIDE >> widths(config.channels).length;
      let fin = side * side * cin;
      fcWidths(config.fc).forEach((w, s) => {
        for (let q = 0; q < w / g; q++) {
          const id = `F${s}.G${q}`;
          out.push({
            id,
            kind: 'units',
            weights: [
              { name: `${id}.w`, shape: [fin, g] },
              { name: `${id}.b`, shape: [g] },
            ],
          });
        }
        fin = w;
      });
      return out;
    }
    case 'bert':
    case 'switch': {
      const { layers, heads, dModel: d, dFF } = config;
      const dh = d / heads;
      const selection = moduleSelection(config.modules);
      for (let l = 0; l < layers; l++) {
        for (let h = 0; h < heads; h++) {
          const id = `L${l}.H${h}`;
          out.push({
            id,
            kind: 'head',
            weights: [
              { name: `${id}.qkv`, shape: [d + 1, 3 * dh] },
              { name: `${id}.o`, shape: [dh, d] },
            ],
          });
        }
      }
      if (config.model === 'switch') {
        for (let l = 0; l < layers; l++) {
          for (let e = 0; e < config.experts; e++) {
            const id = `L${l}.E${e}`;
            out.push({
              id,
              kind: 'expert',
              weights: [
                { name: `${id}.w1`, shape: [d + 1, dFF] },
                { name: `${id}.w2`, shape: [dFF + 1, d] },
              ],
            });
          }
        }
      } else if (selection.ffn) {
        for (let l = 0; l < layers; l++) {
          out.push({
            id: `L${l}.F`,
            kind: 'ffn',
            weights: [
              { name: `L${l}.w1`, shape: [d, dFF] },
              { name: `L${l}.b1`, shape: [dFF] },
              { name: `L${l}.w2`, shape: [dFF, d] },
              { name: `L${l}.b2`, shape: [d] },
            ],
          });
        }
      }
      if (selection.embed) {
        out.push({
          id: 'E',
          kind: 'embed',
          // The vocabulary of tokEmb is the corpus's (at most `vocab`): its shape is not checked.
          weights: ['tokEmb', 'posEmb', 'embLnG', 'embLnB'].map((name) => ({ name, shape: null })),
        });
      }
      return out;
    }
  }
}

/** How many modules `config` implies, without listing them. */
export function expectedModuleCount(config: ExperimentConfig): number {
  switch (config.model) {
    case 'mlp':
      return widths(config.hidden).reduce((a, b) => a + b, 0);
    case 'vgg':
      return (
        widths(config.channels).reduce((a, c) => a + (2 * c) / config.groupSize, 0) +
        fcWidths(config.fc).reduce((a, w) => a + w / config.groupSize, 0)
      );
    case 'bert':
    case 'switch': {
      const s = moduleSelection(config.modules);
      const perLayer = config.heads + (config.model === 'switch' ? config.experts : s.ffn ? 1 : 0);
      return config.layers * perLayer + (s.embed ? 1 : 0);
    }
  }
}

/** A problem found by the checks: where (a zod-style path) and what. */
export interface FileProblem {
  path: (string | number)[];
  message: string;
}

/** The parts of a run file the checks read (the schema's output). */
export interface CheckedRun {
  config: ExperimentConfig;
  modules: { id: string; kind: string }[];
  metrics: { step: number[]; loss: unknown[]; flops: unknown[]; vanillaFlops: unknown[] };
  validation: { step: number[]; perplexity: unknown[] };
  evaluations: {
    step: number;
    lambdaMax: unknown[];
    spectra: unknown[][];
    effRank: unknown[];
    stdErr?: unknown[] | undefined;
    updating?: unknown[] | undefined;
    reasons?: unknown[] | undefined;
  }[];
  exportEvaluation?: CheckedRun['evaluations'][number] | undefined;
  probe: { n: number };
  weights: { name: string; shape: number[]; values: unknown[] }[];
  step: number;
}

/** Steps that must not decrease: the first index where they do, or -1. */
function firstDecrease(steps: readonly number[]): number {
  for (let i = 1; i < steps.length; i++) if (steps[i]! < steps[i - 1]!) return i;
  return -1;
}

/**
 * Every cross-field problem of a run file the schema accepted, in file order (at most one per
 * array: the first bad entry). Cheap: each array is walked once.
 */
export function runFileProblems(run: CheckedRun): FileProblem[] {
  const problems: FileProblem[] = [];
  const add = (path: (string | number)[], message: string) => problems.push({ path, message });
  const M = run.modules.length;
  const n = run.probe.n;

  // Modules: those the config implies, in order.
  const count = expectedModuleCount(run.config);
  if (count !== M) {
    add(
      ['modules'],
      `the config (${run.config.model}) implies ${count} modules, the file lists ${M}`,
    );
  }
  const expected = count === M ? expectedModules(run.config) : [];
  const bad = expected.findIndex(
    (e, i) => run.modules[i]!.id !== e.id || run.modules[i]!.kind !== e.kind,
  );
  if (bad >= 0) {
    const e = expected[bad]!;
    add(
      ['modules', bad],
      `expected module ${e.id} (${e.kind}) as the config implies, got ${JSON.stringify(run.modules[bad]!.id).slice(0, 40)} (${run.modules[bad]!.kind})`,
    );
  }

  // Weights: shape × values, unique names, every module's variables.
  const byName = new Map<string, { shape: number[]; index: number }>();
  run.weights.forEach((w, i) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    if (size !== w.values.length) {
      add(
        ['weights', i, 'values'],
        `${w.values.length} values for shape [${w.shape.join(', ')}] (${size})`,
      );
    }
    if (byName.has(w.name)) add(['weights', i, 'name'], `a second variable named ${w.name}`);
    byName.set(w.name, { shape: w.shape, index: i });
  });
  for (const e of expected) {
    for (const want of e.weights) {
      const got = byName.get(want.name);
      if (!got) {
        add(['weights'], `no variable ${want.name} (module ${e.id})`);
        break;
      }
      if (want.shape && want.shape.join(',') !== got.shape.join(',')) {
        add(
          ['weights', got.index, 'shape'],
          `${want.name} has shape [${got.shape.join(', ')}], the config implies [${want.shape.join(', ')}]`,
        );
        break;
      }
    }
  }

  // Evaluations: every per-module array covers all M modules, spectra rows hold n values.
  const evaluation = (e: CheckedRun['evaluations'][number], at: (string | number)[]) => {
    const fields = ['lambdaMax', 'spectra', 'effRank', 'stdErr', 'updating', 'reasons'] as const;
    for (const f of fields) {
      const list = e[f];
      if (list !== undefined && list.length !== M) {
        add([...at, f], `${list.length} entries for ${M} modules`);
      }
    }
    const row = e.spectra.findIndex((r) => r.length !== n);
    if (row >= 0) {
      add(
        [...at, 'spectra', row],
        `${e.spectra[row]!.length} eigenvalues; the probe has n = ${n} samples`,
      );
    }
    if (e.step > run.step)
      add([...at, 'step'], `step ${e.step} is after the file's step ${run.step}`);
  };
  run.evaluations.forEach((e, i) => evaluation(e, ['evaluations', i]));
  const evalDown = firstDecrease(run.evaluations.map((e) => e.step));
  if (evalDown >= 0) add(['evaluations', evalDown, 'step'], 'steps decrease');
  if (run.exportEvaluation) evaluation(run.exportEvaluation, ['exportEvaluation']);

  // Metrics and validation: arrays of equal length, steps not decreasing, none past the file's.
  const metrics = run.metrics;
  for (const f of ['loss', 'flops', 'vanillaFlops'] as const) {
    if (metrics[f].length !== metrics.step.length) {
      add(['metrics', f], `${metrics[f].length} entries for ${metrics.step.length} steps`);
    }
  }
  const down = firstDecrease(metrics.step);
  if (down >= 0) add(['metrics', 'step', down], 'steps decrease');
  if ((metrics.step.at(-1) ?? 0) > run.step) {
    add(['metrics', 'step'], `step ${metrics.step.at(-1)} is after the file's step ${run.step}`);
  }
  const v = run.validation;
  if (v.perplexity.length !== v.step.length) {
    add(['validation', 'perplexity'], `${v.perplexity.length} entries for ${v.step.length} steps`);
  }
  const vDown = firstDecrease(v.step);
  if (vDown >= 0) add(['validation', 'step', vDown], 'steps decrease');
  return problems;
}
