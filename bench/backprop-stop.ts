/**
 * Backprop that stops (issue 14): one training step of a transformer preset (bert-austen by
 * default, or switch-austen) with every module kind (`modules=heads,ffn,embed`; Switch:
 * `heads,embed`, its experts always modules) and the same with `shared` (the layers' biases and
 * norms, and Switch's routers, with their modules) under patterns of frozen modules — kernels
 * per step (tf.profile), executed matmul FLOPs, median ms/step, and the analytic FLOPs per step
 * as a share of vanilla's — next to the same for `modules=heads`. Not a test; prints a table and
 * writes bench/results/backprop-<backend>.json, or `--out <file>`.
 *
 *   npx tsx bench/backprop-stop.ts [--backend wasm|cpu] [--steps 30] [--preset bert-austen]
 *     [--out file.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import type { ExperimentConfig } from '../src/core/config';
import type { ModuleInfo } from '../src/core/types';
import { createTask } from '../src/core/families';
import { trainedVariables } from '../src/core/families/model';
import { FusedAdam } from '../src/core/optim/adam';
import { presetConfig } from '../src/core/presets';
import { createRng } from '../src/core/rng';
import { isNodeBackend, setupNodeBackend } from '../src/node/backend';
import { loadTaskDataFromDisk } from '../src/node/deps';
import { executedMatmuls } from '../src/core/testing/kernels';
import { arg, median } from './common';

const backend = arg('backend', 'wasm');
const steps = Number(arg('steps', '30'));
const presetId = arg('preset', 'bert-austen');
const out = arg('out', '');

interface Row {
  modules: string;
  pattern: string;
  kernels: number;
  matmulFlops: number;
  msPerStep: number;
  flops: number;
  share: number;
}

/** A pattern of updated modules: its name and whether a module is updated. */
type Pattern = [string, (m: ModuleInfo) => boolean];

async function measure(cfg: ExperimentConfig, patterns: Pattern[]) {
  const task = createTask(cfg, loadTaskDataFromDisk(cfg), createRng(cfg.seed));
  const model = task.model;
  const vanilla = task.stepFlops(task.modules.map(() => true)).total;
  const rng = createRng(7);
  const runs = patterns.map(([name, on]) => {
    const updating = task.modules.map((m) => on(m));
    const vars = trainedVariables(model, updating);
    const opt = new FusedAdam({ lr: cfg.lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    opt.setActive(vars);
    return { name, updating, vars, opt, ms: [] as number[] };
  });
  const step = (run: (typeof runs)[number]) => {
    const batch = task.sampleBatch(rng);
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => task.loss(batch), run.vars);
      run.opt.apply(run.vars.map((v) => grads[v.name]!));
      return value;
    });
    for (const t of batch.tensors) t.dispose();
    return loss;
  };
  // The patterns take turns step by step, so a busy machine slows them alike; the first rounds
  // are a warm-up (WASM's first steps after a model is built run far slower than later ones).
  for (let i = 0; i < steps + 5; i++) {
    for (const run of runs) {
      model.setGroups(run.updating);
      const t0 = performance.now();
      const loss = step(run);
      await loss.data();
      loss.dispose();
      if (i >= 5) run.ms.push(performance.now() - t0);
    }
  }
  const rows: Row[] = [];
  for (const run of runs) {
    model.setGroups(run.updating);
    const info = await tf.profile(() => {
      step(run).dispose();
    });
    run.opt.dispose();
    const flops = task.stepFlops(run.updating).total;
    rows.push({
      modules: cfg.modules,
      pattern: run.name,
      kernels: info.kernels.length,
      matmulFlops: executedMatmuls(info.kernels).matmulFlops,
      msPerStep: median(run.ms),
      flops,
      share: flops / vanilla,
    });
  }
  task.dispose();
  return rows;
}

async function main() {
  if (!isNodeBackend(backend) || backend === 'webgpu') throw new RangeError('--backend wasm|cpu');
  const { description } = await setupNodeBackend(backend);
  const base = presetConfig(presetId)!;
  const isSwitch = base.model === 'switch';
  if (base.model !== 'bert' && !isSwitch) throw new RangeError('--preset: a transformer preset');
  // Every kind a module (Switch's FFN blocks are its experts, always modules).
  const all = {
    ...base,
    modules: isSwitch ? ('heads,embed' as const) : ('heads,ffn,embed' as const),
  };
  // The embeddings (module E) sit at layer 0: the bottom pattern freezes them with layer 0.
  const patterns: Pattern[] = [
    ['all updated', () => true],
    ['embeddings + layer-0 modules frozen', (m) => m.layer !== 0],
    ['everything frozen', () => false],
  ];
  const rows = [
    ...(await measure(all, patterns)),
    ...(await measure({ ...all, modules: `${all.modules},shared` as const }, patterns)),
    ...(await measure({ ...base, modules: 'heads' }, [
      ['all updated (vanilla)', () => true],
      [isSwitch ? 'every head and expert frozen' : 'every head frozen', () => false],
    ])),
  ];
  console.log(
    `${presetId} on ${description}, batch ${base.batch}, ${steps} timed steps per pattern (median)`,
  );
  console.log(
    '| modules | pattern | kernels/step | matmul FLOPs (profiled) | ms/step | analytic FLOPs/step | share of vanilla |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    console.log(
      `| ${r.modules} | ${r.pattern} | ${r.kernels} | ${(r.matmulFlops / 1e6).toFixed(1)} M | ${r.msPerStep.toFixed(1)} | ${(r.flops / 1e6).toFixed(1)} M | ${(100 * r.share).toFixed(1)} % |`,
    );
  }
  const here = dirname(fileURLToPath(import.meta.url));
  const file = out || join(here, 'results', `backprop-${backend}.json`);
  mkdirSync(dirname(file), { recursive: true });
  const date = new Date().toISOString();
  writeFileSync(
    file,
    JSON.stringify(
      { date, backend: description, preset: presetId, batch: base.batch, steps, rows },
      null,
      2,
    ),
  );
  console.log(`wrote ${file}`);
}

await main();
