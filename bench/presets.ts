/**
 * `npm run bench:presets`: per model preset, on one backend in one process — module count,
 * kernels per training step (every module updated vs every other module frozen, by
 * tf.profile), kernels per mNTK evaluation, median ms/step of vanilla and MAT, the mNTK
 * evaluation's share of MAT's wall time, and the charged FLOPs of MAT vs vanilla after the same
 * steps. Not a test: the numbers go to bench/results/presets-<backend>.json.
 *
 *   npm run bench:presets -- [--backend wasm|cpu|webgpu] [--steps 150] [--presets a,b]
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExperimentConfig } from '../src/core/config';
import { presetConfig } from '../src/core/presets';
import { Session } from '../src/core/session';
import type { NodeBackend } from '../src/node/backend';
import { isNodeBackend, setupNodeBackend } from '../src/node/backend';
import { loadTaskDataFromDisk } from '../src/node/deps';
import { arg, median, timedAdvance } from './common';

const backendArg = arg('backend', 'wasm');
if (!isNodeBackend(backendArg)) throw new Error(`--backend must be wasm, cpu or webgpu`);
const backend: NodeBackend = backendArg;
const steps = Number(arg('steps', '150'));
const presets = arg('presets', 'bert-austen,switch-austen,vgg-fashion,mlp-spiral').split(',');
const here = dirname(fileURLToPath(import.meta.url));

/** Reshape and Identity share their input's buffer on webgpu and wasm: no dispatch. */
const dispatching = (ks: { name: string }[]) =>
  ks.filter((k) => k.name !== 'Reshape' && k.name !== 'Identity').length;

async function kernels(cfg: ExperimentConfig) {
  const s = new Session({ ...cfg, policy: 'vanilla', K: 1_000_000 }, loadTaskDataFromDisk(cfg));
  (await s.advance()).loss.dispose(); // the step-0 evaluation, and every kernel compiled once
  const step = async () => {
    const info = await tf.profile(async () => {
      const r = await s.advance();
      await r.loss.data();
      r.loss.dispose();
    });
    return { all: info.kernels.length, dispatching: dispatching(info.kernels) };
  };
  const allUpdated = await step();
  s.modules.forEach((m, i) => {
    if (i % 2 === 1) s.override(m.id, 'off');
  });
  (await s.advance()).loss.dispose(); // new grouping: compile once outside the count
  const halfFrozen = await step();
  const ev = await tf.profile(async () => {
    await s.evaluate();
  });
  const modules = s.modules.length;
  s.dispose();
  return {
    modules,
    allUpdated,
    halfFrozen,
    perEvaluation: { all: ev.kernels.length, dispatching: dispatching(ev.kernels) },
  };
}

async function timeRun(cfg: ExperimentConfig) {
  const s = new Session(cfg, loadTaskDataFromDisk(cfg));
  const stepMs: number[] = [];
  let evalMs = 0;
  let totalMs = 0;
  let charged = 0;
  let vanilla = 0;
  let tensors20 = 0;
  for (let i = 0; i < steps; i++) {
    const { r, ms: dt } = await timedAdvance(s);
    charged += r.flops;
    vanilla += r.vanillaFlops;
    if (i >= 5) {
      totalMs += dt;
      if (r.evaluation) evalMs += r.evaluation.ms;
      else stepMs.push(dt);
    }
    if (i === 20) tensors20 = tf.memory().numTensors;
  }
  const metric = await s.validate();
  const updating = s.decisions.filter((d) => d.updating).length;
  const tensorsEnd = tf.memory().numTensors;
  s.dispose();
  return {
    medianStepMs: median(stepMs),
    evaluationShareOfTime: evalMs / totalMs,
    chargedFlops: charged,
    vanillaFlops: vanilla,
    flopSaving: 1 - charged / vanilla,
    updatingAtEnd: updating,
    metric,
    tensors: { atStep20: tensors20, atEnd: tensorsEnd },
  };
}

async function main() {
  const { description } = await setupNodeBackend(backend);
  console.log(`backend ${description}; ${steps} steps per policy`);
  const results: Record<string, unknown> = {};
  for (const id of presets) {
    const base = presetConfig(id);
    if (!base) throw new Error(`unknown preset ${id}`);
    const cfg = { ...base, backend };
    const k = await kernels(cfg);
    const v = await timeRun({ ...cfg, policy: 'vanilla' });
    const m = await timeRun({ ...cfg, policy: 'mat' });
    results[id] = {
      ...k,
      vanilla: v,
      mat: m,
      matOverVanillaStepTime: m.medianStepMs / v.medianStepMs,
    };
    console.log(
      `${id}: ${k.modules} modules; kernels/step ${k.allUpdated.all} (${k.allUpdated.dispatching} dispatching) all updated, ` +
        `${k.halfFrozen.all} (${k.halfFrozen.dispatching}) half frozen; ${k.perEvaluation.all} (${k.perEvaluation.dispatching}) per evaluation; ` +
        `ms/step vanilla ${v.medianStepMs.toFixed(1)} MAT ${m.medianStepMs.toFixed(1)}; evaluation share ${(m.evaluationShareOfTime * 100).toFixed(1)} %; ` +
        `FLOP saving at ${steps} steps ${(m.flopSaving * 100).toFixed(1)} %; modules updating at the end ${m.updatingAtEnd}/${k.modules}`,
    );
  }
  mkdirSync(join(here, 'results'), { recursive: true });
  const file = join(here, 'results', `presets-${backend}.json`);
  writeFileSync(
    file,
    JSON.stringify(
      { date: new Date().toISOString(), backend: description, steps, results },
      null,
      2,
    ),
  );
  console.log(`wrote ${file}`);
  process.exit(0);
}

void main();
