/**
 * What one mNTK evaluation costs, in vanilla training steps of its preset, with the default
 * probe kernel and with `kernel=step` (issue 14): analytic FLOPs (every module updated, and as
 * charged in a MAT run, whose frozen modules make a step evaluation pay the input gradients its
 * step would have skipped) and measured wall-clock ms. Not a test: the numbers go to
 * bench/results/step-kernel-<backend>.json.
 *
 *   npx tsx bench/step-kernel.ts [--backend wasm|cpu] [--presets vgg-fashion,mlp-spiral,bert-austen]
 *     [--steps vgg-fashion:60,mlp-spiral:600]
 *
 * ms per evaluation: with a probe kernel, the evaluation's own wall time (it runs apart from the
 * step); with the step kernel, the median wall time of an evaluation step minus the median of
 * the other steps (vanilla policy, so every step trains the same modules).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExperimentConfig } from '../src/core/config';
import { DEFAULT_CONFIG } from '../src/core/config';
import type { TaskData } from '../src/core/families/types';
import { splitTotal } from '../src/core/flops';
import { kernelInput, moduleSpectra } from '../src/core/kernel';
import { mlpEvaluationFlops } from '../src/core/families/mlp/flops';
import { fastNeuronKernels, neuronSpectrumInput } from '../src/core/families/mlp/kernel';
import type { MlpToyTask } from '../src/core/families/mlp/task';
import { parseWidths } from '../src/core/families/mlp/task';
import { presetConfig } from '../src/core/presets';
import { Session } from '../src/core/session';
import type { NodeBackend } from '../src/node/backend';
import { isNodeBackend, setupNodeBackend } from '../src/node/backend';
import { loadTaskDataFromDisk } from '../src/node/deps';
import { arg, median, timedAdvance } from './common';

const backendArg = arg('backend', 'wasm');
if (!isNodeBackend(backendArg)) throw new Error('--backend must be wasm, cpu or webgpu');
const backend: NodeBackend = backendArg;
const presets = arg('presets', 'vgg-fashion,mlp-spiral').split(',');
const stepsOf = new Map(
  arg('steps', 'vgg-fashion:60,mlp-spiral:600,bert-austen:60')
    .split(',')
    .map((e) => e.split(':') as [string, string])
    .map(([k, v]) => [k, Number(v)]),
);
const here = dirname(fileURLToPath(import.meta.url));

/** Steps of `cfg`: wall ms per step (synced), evaluation ms, the charged kernel FLOPs. */
async function timeRun(cfg: ExperimentConfig, data: TaskData, steps: number) {
  const s = new Session(cfg, data);
  const plain: number[] = [];
  const withEval: number[] = [];
  const evalMs: number[] = [];
  for (let i = 0; i < steps; i++) {
    const { r, ms: dt } = await timedAdvance(s);
    // The first evaluation and step compile kernels: left out.
    if (i < 2) continue;
    if (r.evaluation) {
      withEval.push(dt);
      evalMs.push(r.evaluation.ms);
    } else plain.push(dt);
  }
  const split = s.flopSplits();
  const out = {
    medianStepMs: median(plain),
    medianEvaluationStepMs: median(withEval),
    medianEvaluationMs: median(evalMs),
    evaluations: withEval.length,
    /** Charged kernel FLOPs over the run / vanilla's training FLOPs for the same steps. */
    kernelShareOfVanilla: split.run.kernel / splitTotal(split.vanilla),
    kernelFlops: split.run.kernel,
    /** Evaluations of the whole run (the kernel FLOPs cover all of them). */
    evaluationsCharged: s.history.length,
    perVanillaStep: s.flopsPerVanillaStep,
    updatingAtEnd: s.decisions.filter((d) => d.updating).length,
    modules: s.modules.length,
  };
  s.dispose();
  return out;
}

/** The MLP's probe spectra before (n × n everywhere) and after (q × q where q < n), ms. */
async function mlpSpectraMs(cfg: ExperimentConfig, reps: number) {
  const s = new Session(cfg, null);
  const task = s.task as MlpToyTask;
  const n = task.probeSize;
  const time = async (f: () => Promise<void>) => {
    await f();
    const t0 = performance.now();
    for (let i = 0; i < reps; i++) await f();
    return (performance.now() - t0) / reps;
  };
  const before = await time(async () => {
    moduleSpectra(kernelInput(await fastNeuronKernels(task.model, task.probe), n), n);
  });
  const after = await time(async () => {
    moduleSpectra(await neuronSpectrumInput(task.model, task.probe), n);
  });
  s.dispose();
  return { before, after };
}

async function main() {
  const { description } = await setupNodeBackend(backend);
  console.log(`backend ${description}`);
  const results: Record<string, unknown> = {};
  for (const id of presets) {
    const base = { ...presetConfig(id)!, backend };
    const steps = stepsOf.get(id) ?? 60;
    // The data set is read once and shared by every Session of the preset.
    const data = loadTaskDataFromDisk(base);
    // The probe kernel the step kernel is compared with: the preset's, or trace where the preset
    // itself takes the step kernel.
    const kernel = base.kernel === 'step' ? 'trace' : base.kernel;
    const probe = new Session({ ...base, kernel }, data);
    const V = probe.flopsPerVanillaStep;
    const defaultFlops = probe.flopsPerEvaluation;
    probe.dispose();
    const stepS = new Session({ ...base, kernel: 'step' }, data);
    const stepFlops = stepS.flopsPerEvaluation;
    const allFrozen = stepS.task.stepEvaluationFlops!(stepS.modules.map(() => false));
    stepS.dispose();
    let beforeFlops = defaultFlops;
    if (base.model === 'bert' || base.model === 'switch') {
      // Before issue 14 the transformer presets took the trace kernel on heads (and experts) only,
      // with the default probe.
      const { modules, probe: n } = DEFAULT_CONFIG;
      const old = new Session({ ...base, kernel: 'trace', modules, probe: n }, data);
      beforeFlops = (old.flopsPerEvaluation / old.flopsPerVanillaStep) * V;
      old.dispose();
    }
    let spectraMs: { before: number; after: number } | null = null;
    if (base.model === 'mlp') {
      // Before issue 14: n × n matrices for every neuron.
      const task = new Session(base, null).task as MlpToyTask;
      beforeFlops = mlpEvaluationFlops(
        { features: task.features, hidden: parseWidths(base.hidden), classes: task.data.classes },
        task.probe.n,
        task.probe.numProjections,
        task.probe.kernel,
        'kernel',
      ).total;
      task.dispose();
      spectraMs = await mlpSpectraMs(base, 200);
    }
    const runs = {
      vanillaDefault: await timeRun({ ...base, policy: 'vanilla', kernel }, data, steps),
      vanillaStep: await timeRun({ ...base, policy: 'vanilla', kernel: 'step' }, data, steps),
      matDefault: await timeRun({ ...base, policy: 'mat', kernel }, data, steps),
      matStep: await timeRun({ ...base, policy: 'mat', kernel: 'step' }, data, steps),
    };
    const r = {
      vanillaStepFlops: V,
      evaluationInVanillaSteps: {
        [`${kernel} (before issue 14)`]: beforeFlops / V,
        [kernel]: defaultFlops / V,
        'step, every module updated': stepFlops / V,
        'step, every module frozen': allFrozen / V,
        'step, as charged in the MAT run (mean)':
          runs.matStep.kernelFlops / runs.matStep.evaluationsCharged / V,
      },
      evaluationsShareOfVanillaTrainingFlops: {
        [`MAT, ${kernel}`]: runs.matDefault.kernelShareOfVanilla,
        'MAT, step': runs.matStep.kernelShareOfVanilla,
      },
      msPerEvaluation: {
        [`${kernel}`]: runs.vanillaDefault.medianEvaluationMs,
        step: runs.vanillaStep.medianEvaluationStepMs - runs.vanillaStep.medianStepMs,
        vanillaStep: runs.vanillaStep.medianStepMs,
        ...(spectraMs ? { mlpProbeSpectraBefore: spectraMs.before } : {}),
        ...(spectraMs ? { mlpProbeSpectraAfter: spectraMs.after } : {}),
      },
      runs,
      steps,
    };
    results[id] = r;
    console.log(id, JSON.stringify(r, null, 2));
  }
  mkdirSync(join(here, 'results'), { recursive: true });
  const file = join(here, 'results', `step-kernel-${backend}.json`);
  // Presets not run this time keep their earlier figures (each with the date it was measured).
  const earlier = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { results?: Record<string, unknown> }).results
    : {};
  const date = new Date().toISOString();
  for (const id of Object.keys(results)) results[id] = { date, ...(results[id] as object) };
  writeFileSync(
    file,
    JSON.stringify({ date, backend: description, results: { ...earlier, ...results } }, null, 2),
  );
  console.log(`wrote ${file}`);
  process.exit(0);
}

void main();
