/**
 * `npm run bench`: ms/step of vanilla vs MAT on the same backend in one run, kernels per step
 * (all heads updated vs half frozen), the mNTK evaluation's share of training time, and
 * tf.memory() over the run. Not a test: numbers go to bench/results/<backend>.json and are
 * compared with bench/baseline-<backend>.json (a drop of more than 10 % is flagged).
 *
 *   npm run bench -- [--backend wasm|cpu|webgpu] [--steps 120] [--gles]
 * `webgpu` runs through Dawn (npm `webgpu`); see WEBGPU-TESTING.md for the driver variables.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExperimentConfig } from '../src/core/config';
import { DEFAULT_CONFIG } from '../src/core/config';
import { Session } from '../src/core/session';
import { isNodeBackend, setupNodeBackend } from '../src/node/backend';
import { loadCorpusFromDisk } from '../src/node/deps';
import { arg, median } from './common';

const backendName = arg('backend', 'wasm') as ExperimentConfig['backend'];
const steps = Number(arg('steps', '500'));
const here = dirname(fileURLToPath(import.meta.url));

async function setup(): Promise<string> {
  if (!isNodeBackend(backendName)) throw new RangeError(`--backend must be wasm, cpu or webgpu`);
  const { description } = await setupNodeBackend(backendName, {
    gles: process.argv.includes('--gles'),
  });
  return description;
}

async function timeRun(cfg: ExperimentConfig) {
  const s = new Session(cfg, loadCorpusFromDisk());
  const stepMs: number[] = [];
  let evalMs = 0;
  let trainMs = 0;
  const mem0: number[] = [];
  let charged = 0;
  let vanillaEq = 0;
  const updatedShare: number[] = [];
  for (let i = 0; i < steps; i++) {
    const t0 = performance.now();
    const r = await s.advance();
    charged += r.flops;
    vanillaEq += r.vanillaFlops;
    updatedShare.push(s.decisions.filter((d) => d.updating).length / s.modules.length);
    await r.loss.data(); // sync so the time is the step's, not its dispatch
    r.loss.dispose();
    const dt = performance.now() - t0;
    if (r.evaluation) evalMs += r.evaluation.ms;
    if (i >= 10) {
      trainMs += dt - (r.evaluation?.ms ?? 0);
      if (!r.evaluation) stepMs.push(dt);
    }
    // Tensor count after the warm-up, and at the end: equal when nothing leaks (decisions
    // change the count by the frozen heads' cached weights and Adam slots, so compare the
    // count at evaluation boundaries with the same number of frozen heads).
    if (i === 20 || i === steps - 1) mem0.push(tf.memory().numTensors);
  }
  const updating = s.decisions.filter((d) => d.updating).length;
  const flopsPerStep = s.flopsPerVanillaStep;
  const perplexity = await s.validate();
  s.dispose();
  return {
    medianStepMs: median(stepMs),
    evaluationMsTotal: evalMs,
    trainMsTotal: trainMs,
    evaluationShare: evalMs / (evalMs + trainMs),
    tensorsAtStep20: mem0[0],
    tensorsAtEnd: mem0[1],
    headsUpdatingAtEnd: updating,
    flopsPerVanillaStep: flopsPerStep,
    chargedFlops: charged,
    vanillaEquivalentFlops: vanillaEq,
    flopSaving: 1 - charged / vanillaEq,
    meanShareOfHeadsUpdated: updatedShare.reduce((a, b) => a + b, 0) / updatedShare.length,
    validationPerplexity: perplexity,
  };
}

async function kernelsPerStep(cfg: ExperimentConfig) {
  const s = new Session({ ...cfg, policy: 'vanilla', K: 1000 }, loadCorpusFromDisk());
  (await s.advance()).loss.dispose(); // evaluation at step 0 + warm-up of kernels
  const count = async () => {
    const info = await tf.profile(async () => {
      const r = await s.advance();
      await r.loss.data();
      r.loss.dispose();
    });
    // Reshape and Identity share the input's buffer on webgpu and wasm: no dispatch.
    const dispatching = info.kernels.filter(
      (k) => k.name !== 'Reshape' && k.name !== 'Identity',
    ).length;
    return { all: info.kernels.length, dispatching };
  };
  const all = await count();
  s.modules.forEach((m, i) => {
    if (i % 2 === 1) s.override(m.id, 'off');
  });
  const half = await count();
  const evalInfo = await tf.profile(async () => {
    await s.evaluate();
  });
  s.dispose();
  const evalDispatching = evalInfo.kernels.filter(
    (k) => k.name !== 'Reshape' && k.name !== 'Identity',
  ).length;
  return {
    allHeadsUpdated: all,
    halfHeadsFrozen: half,
    perEvaluation: { all: evalInfo.kernels.length, dispatching: evalDispatching },
  };
}

async function main() {
  const device = await setup();
  const base: ExperimentConfig = { ...DEFAULT_CONFIG, backend: backendName };
  console.log(`backend ${device}; default tiny BERT; ${steps} steps per policy`);
  const kernels = await kernelsPerStep(base);
  console.log('kernels per step', kernels);
  const vanilla = await timeRun({ ...base, policy: 'vanilla' });
  console.log('vanilla', vanilla);
  const mat = await timeRun({ ...base, policy: 'mat' });
  console.log('mat', mat);
  const result = {
    date: new Date().toISOString(),
    backend: device,
    config: base,
    steps,
    kernels,
    vanilla,
    mat,
    matOverVanillaStepTime: mat.medianStepMs / vanilla.medianStepMs,
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  const file = join(here, 'results', `${backendName}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2));
  console.log(`wrote ${file}`);
  const baseline = join(here, `baseline-${backendName}.json`);
  if (existsSync(baseline)) {
    const b = JSON.parse(readFileSync(baseline, 'utf8')) as typeof result;
    for (const [name, now, then] of [
      ['vanilla ms/step', vanilla.medianStepMs, b.vanilla.medianStepMs],
      ['mat ms/step', mat.medianStepMs, b.mat.medianStepMs],
    ] as const) {
      const change = now / then - 1;
      console.log(
        `${name}: ${now.toFixed(1)} vs baseline ${then.toFixed(1)} (${(change * 100).toFixed(1)} %)${change > 0.1 ? '  ← slower by more than 10 %' : ''}`,
      );
    }
  }
  process.exit(0);
}

void main();
