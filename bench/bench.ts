/**
 * `npm run bench`: ms/step of vanilla vs MAT on one backend in one run, kernels per step (all
 * heads updated vs half frozen) by tf.profile and, on WebGPU, the backend's real dispatches
 * (`countDispatches`), the mNTK evaluation's share of training time, and tf.memory() over the
 * run. On WebGPU it measures both settings of the fused-kernel switch (src/core/fused/program.ts):
 * `fused` (setFused('auto'), the app's default) and `composed` (setFused('off'), TF.js's own
 * ops), their sessions stepped in turn so that both see the same machine load. WASM and cpu have
 * no fused kernels: there it runs `composed` only and says so. When `python3 -c "import torch"`
 * works, bench/torch_step.py times the same training step in PyTorch on this machine (BERT only).
 * Not a test: numbers go to bench/results/<backend>[-gles].json and are compared with
 * bench/baseline-<backend>.json (a drop of more than 10 % is flagged).
 *
 *   npm run bench -- [--backend wasm|cpu|webgpu] [--steps 500] [--preset <id>] [--gles]
 *                    [--torch-steps 100] [--no-torch] [--modes fused,composed]
 * `--preset`: a preset's experiment (src/core/presets.ts); default DEFAULT_CONFIG, as every earlier
 * result file. `webgpu` runs through Dawn (npm `webgpu`); see WEBGPU-TESTING.md for the drivers
 * (SwiftShader: VK_ICD_FILENAMES; `--gles`: llvmpipe, EGL_PLATFORM=surfaceless set here).
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExperimentConfig } from '../src/core/config';
import { DEFAULT_CONFIG } from '../src/core/config';
import { maskCount } from '../src/core/data/mlm';
import type { FusedMode } from '../src/core/fused/program';
import { countDispatches, fusedActive, setFused } from '../src/core/fused/program';
import { presetConfig } from '../src/core/presets';
import { Session } from '../src/core/session';
import type { NodeBackend } from '../src/node/backend';
import { isNodeBackend, setupNodeBackend } from '../src/node/backend';
import { loadTaskDataFromDisk } from '../src/node/deps';
import type { TorchPeerConfig, TorchPeerResult } from './common';
import { arg, median, paramCheck, parseTorchResult, ratio } from './common';

const backendArg = arg('backend', 'wasm');
if (!isNodeBackend(backendArg)) throw new RangeError(`--backend must be wasm, cpu or webgpu`);
const backendName: NodeBackend = backendArg;
const steps = Number(arg('steps', '500'));
const presetId = arg('preset', '');
const gles = process.argv.includes('--gles');
// Mesa's EGL finds no display without a window system unless told to go surfaceless
// (WEBGPU-TESTING.md); set before Dawn looks for its OpenGL ES adapter.
if (gles) process.env.EGL_PLATFORM ??= 'surfaceless';
const torchSteps = Number(arg('torch-steps', String(Math.min(steps, 100))));
const here = dirname(fileURLToPath(import.meta.url));
/** WebGPU only: the modes to run (both by default; one alone to isolate a failing mode). */
const modesArg = arg('modes', 'fused,composed').split(',') as Mode[];
if (modesArg.length === 0 || modesArg.some((m) => m !== 'fused' && m !== 'composed')) {
  throw new RangeError('--modes: fused, composed or fused,composed');
}

/** The two settings of the fused-kernel switch, by the name the result file uses. */
type Mode = 'fused' | 'composed';
const SWITCH: Record<Mode, FusedMode> = { fused: 'auto', composed: 'off' };

/** Warm-up steps left out of the medians and totals (kernel compilation, first allocations). */
const WARMUP = 10;

/** Reshape and Identity share their input's buffer on webgpu and wasm: no dispatch. */
const dispatching = (ks: readonly { name: string }[]) =>
  ks.filter((k) => k.name !== 'Reshape' && k.name !== 'Identity').length;

/** Kernels whose name starts with `Mat` (the lab's own fused programs), by name and count. */
function labKernels(ks: readonly { name: string }[]): Record<string, number> {
  return byName(ks.filter((k) => k.name.startsWith('Mat')));
}

/** Every kernel but Reshape and Identity by name and count, most frequent first. */
function kernelsByName(ks: readonly { name: string }[]): Record<string, number> {
  const counts = byName(ks.filter((k) => k.name !== 'Reshape' && k.name !== 'Identity'));
  return Object.fromEntries(Object.entries(counts).sort((a, b) => b[1] - a[1]));
}

function byName(ks: readonly { name: string }[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const k of ks) out[k.name] = (out[k.name] ?? 0) + 1;
  return out;
}

function experiment(): ExperimentConfig {
  if (!presetId) return { ...DEFAULT_CONFIG, backend: backendName };
  const p = presetConfig(presetId);
  if (!p) throw new RangeError(`--preset ${presetId}: no such preset (src/core/presets.ts)`);
  return { ...p, backend: backendName };
}

/**
 * WebGPU validation errors (an invalid shader, a bad binding) by the bench phase they came in:
 * TF.js does not check them, so a broken kernel would otherwise give figures that look fine.
 */
const gpuErrors: Record<string, { count: number; first: string }> = {};
let phase = 'setup';

function watchGpuErrors(): void {
  if (tf.getBackend() !== 'webgpu') return;
  const device = (tf.backend() as unknown as WebGPUBackend).device;
  device.addEventListener('uncapturederror', (e) => {
    const message = (e as GPUUncapturedErrorEvent).error.message.split('\n')[0] ?? '';
    const entry = (gpuErrors[phase] ??= { count: 0, first: message });
    entry.count++;
  });
}

/** Kernels (tf.profile) and real dispatches (countDispatches; null off WebGPU) of `fn`. */
async function profiled(fn: () => Promise<void>) {
  const { result: info, dispatches } = await countDispatches(() => tf.profile(fn));
  return {
    all: info.kernels.length,
    dispatching: dispatching(info.kernels),
    dispatches,
    labKernels: labKernels(info.kernels),
    byName: kernelsByName(info.kernels),
  };
}

/** Kernels and dispatches of one training step (all heads, then half frozen) and one evaluation. */
async function kernelsPerStep(cfg: ExperimentConfig, mode: Mode) {
  phase = `kernels ${mode}`;
  setFused(SWITCH[mode]);
  const s = new Session({ ...cfg, policy: 'vanilla', K: 1_000_000 }, loadTaskDataFromDisk(cfg));
  const params = s.model.allVariables().reduce((n, v) => n + v.size, 0);
  // Disposed also when a mode fails (the bench goes on with the other).
  try {
    (await s.advance()).loss.dispose(); // the step-0 evaluation, and every kernel compiled once
    const step = () =>
      profiled(async () => {
        const r = await s.advance();
        await r.loss.data();
        r.loss.dispose();
      });
    const allHeadsUpdated = await step();
    s.modules.forEach((m, i) => {
      if (i % 2 === 1) s.override(m.id, 'off');
    });
    // One step with the new grouping outside the count: the optimizer rebuilds its flat buffers
    // once per change of the active set, which is not what every step costs.
    (await s.advance()).loss.dispose();
    const halfHeadsFrozen = await step();
    const perEvaluation = await profiled(async () => {
      await s.evaluate();
    });
    return { fusedActive: fusedActive(), params, allHeadsUpdated, halfHeadsFrozen, perEvaluation };
  } finally {
    s.dispose();
  }
}

/** One session's timing while `timeRuns` steps it in turn with the others. */
class Track {
  readonly s: Session;
  readonly stepMs: number[] = [];
  evalMs = 0;
  trainMs = 0;
  charged = 0;
  vanillaEq = 0;
  readonly updatedShare: number[] = [];
  /** Tensors this session holds: tf.memory() deltas around its own calls only. */
  tensors = 0;
  readonly tensorsAt: number[] = [];

  constructor(
    readonly mode: Mode,
    cfg: ExperimentConfig,
  ) {
    setFused(SWITCH[mode]);
    const before = tf.memory().numTensors;
    this.s = new Session(cfg, loadTaskDataFromDisk(cfg));
    this.tensors = tf.memory().numTensors - before;
  }

  async step(i: number): Promise<void> {
    setFused(SWITCH[this.mode]);
    const before = tf.memory().numTensors;
    const t0 = performance.now();
    const r = await this.s.advance();
    await r.loss.data(); // sync so the time is the step's, not its dispatch
    r.loss.dispose();
    const dt = performance.now() - t0;
    this.tensors += tf.memory().numTensors - before;
    this.charged += r.flops;
    this.vanillaEq += r.vanillaFlops;
    this.updatedShare.push(
      this.s.decisions.filter((d) => d.updating).length / this.s.modules.length,
    );
    if (r.evaluation) this.evalMs += r.evaluation.ms;
    if (i >= WARMUP) {
      this.trainMs += dt - (r.evaluation?.ms ?? 0);
      if (!r.evaluation) this.stepMs.push(dt);
    }
    // Tensor count after the warm-up, and at the end: equal when nothing leaks (decisions
    // change the count by the frozen heads' cached weights and Adam slots, so compare the
    // count at evaluation boundaries with the same number of frozen heads).
    if (i === 20 || i === steps - 1) this.tensorsAt.push(this.tensors);
  }

  async finish() {
    setFused(SWITCH[this.mode]);
    const s = this.s;
    const perplexity = await s.validate();
    const result = {
      medianStepMs: median(this.stepMs),
      timedSteps: this.stepMs.length,
      evaluationMsTotal: this.evalMs,
      trainMsTotal: this.trainMs,
      evaluationShare: this.evalMs / (this.evalMs + this.trainMs),
      tensorsAtStep20: this.tensorsAt[0],
      tensorsAtEnd: this.tensorsAt[this.tensorsAt.length - 1],
      headsUpdatingAtEnd: s.decisions.filter((d) => d.updating).length,
      flopsPerVanillaStep: s.flopsPerVanillaStep,
      chargedFlops: this.charged,
      vanillaEquivalentFlops: this.vanillaEq,
      flopSaving: 1 - this.charged / this.vanillaEq,
      meanShareOfHeadsUpdated:
        this.updatedShare.reduce((a, b) => a + b, 0) / this.updatedShare.length,
      validationPerplexity: perplexity,
    };
    s.dispose();
    return result;
  }
}

type RunResult = Awaited<ReturnType<Track['finish']>>;

/**
 * `cfg` under each mode, the sessions stepped in turn (the first mode alternating) so that a
 * change of load on the shared machine falls on all of them alike.
 */
async function timeRuns(cfg: ExperimentConfig, modes: readonly Mode[]) {
  phase = `timing ${cfg.policy} (${modes.join(' and ')} in turn)`;
  const tracks = modes.map((m) => new Track(m, cfg));
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) {
    const order = i % 2 === 0 ? tracks : [...tracks].reverse();
    for (const t of order) await t.step(i);
    if ((i + 1) % 10 === 0) {
      console.log(
        `  ${cfg.policy}: ${i + 1}/${steps} steps, ${((performance.now() - t0) / 1000).toFixed(0)} s`,
      );
    }
  }
  const out: Partial<Record<Mode, RunResult>> = {};
  for (const t of tracks) out[t.mode] = await t.finish();
  return out;
}

/** The PyTorch peer's result, or why it did not run. */
type TorchOutcome =
  | {
      ran: true;
      python: string;
      config: TorchPeerConfig;
      result: TorchPeerResult;
      wallMs: number;
    }
  | { ran: false; reason: string };

function runTorchPeer(cfg: ExperimentConfig): TorchOutcome {
  if (process.argv.includes('--no-torch')) return { ran: false, reason: '--no-torch' };
  if (cfg.model !== 'bert') {
    return { ran: false, reason: `the peer is the tiny BERT's step; this is model ${cfg.model}` };
  }
  if (cfg.modules !== 'heads') {
    return { ran: false, reason: `the peer trains modules=heads only; this is ${cfg.modules}` };
  }
  // `python3` first (the PATH's), then the system's: a pyenv or venv interpreter without torch
  // in front of Debian's python3-torch is common.
  const tried: string[] = [];
  const python = ['python3', '/usr/bin/python3'].find((py) => {
    const probe = spawnSync(py, ['-c', 'import torch'], { encoding: 'utf8' });
    if (probe.status === 0) return true;
    const why = probe.error ? probe.error.message : probe.stderr.trim().split('\n').pop();
    tried.push(`${py}: ${why ?? 'no message'}`);
    return false;
  });
  if (!python) return { ran: false, reason: `no python3 imports torch (${tried.join('; ')})` };
  const config: TorchPeerConfig = {
    layers: cfg.layers,
    heads: cfg.heads,
    dModel: cfg.dModel,
    dFF: cfg.dFF,
    seqLen: cfg.seqLen,
    vocab: cfg.vocab,
    batch: cfg.batch,
    masked: maskCount(cfg.seqLen),
    lr: cfg.lr,
    steps: torchSteps,
    warmup: 5,
  };
  const t0 = performance.now();
  const r = spawnSync(python, [join(here, 'torch_step.py')], {
    input: JSON.stringify(config),
    encoding: 'utf8',
    timeout: 600_000,
  });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) {
    const why = r.error ? r.error.message : r.stderr.trim().split('\n').slice(-3).join(' / ');
    return { ran: false, reason: `torch_step.py exited ${r.status}: ${why}` };
  }
  return { ran: true, python, config, result: parseTorchResult(r.stdout), wallMs };
}

async function main() {
  const started = performance.now();
  const base = experiment();
  const { description: device } = await setupNodeBackend(backendName, { gles });
  watchGpuErrors();
  const requested: Mode[] = base.backend === 'webgpu' ? modesArg : ['composed'];
  const what = presetId ? `preset ${presetId}` : 'default tiny BERT (DEFAULT_CONFIG)';
  console.log(
    `backend ${device}; ${what}; ${steps} steps per policy; modes ${requested.join(', ')}`,
  );

  const kernels: Partial<Record<Mode, Awaited<ReturnType<typeof kernelsPerStep>>>> = {};
  // A mode whose first steps fail (a fused kernel wrong on this driver: NaN in the step-0
  // evaluation) is recorded and left out of the timing; the other mode is still measured.
  const failed: Partial<Record<Mode, string>> = {};
  for (const m of requested) {
    try {
      kernels[m] = await kernelsPerStep(base, m);
      console.log(`kernels per step (${m})`, JSON.stringify(kernels[m]));
    } catch (e) {
      failed[m] = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
      console.log(`${m} failed: ${failed[m]}`);
    }
  }
  const modes = requested.filter((m) => kernels[m]);
  if (modes.length === 0) throw new Error(`every mode failed: ${JSON.stringify(failed)}`);
  const vanilla = await timeRuns({ ...base, policy: 'vanilla' }, modes);
  console.log('vanilla', vanilla);
  // Between the two timed runs, so that it sees the load they see.
  const torch = runTorchPeer(base);
  console.log('torch', torch);
  const mat = await timeRuns({ ...base, policy: 'mat' }, modes);
  console.log('mat', mat);

  const block = (m: Mode) => {
    const k = kernels[m]!;
    const v = vanilla[m]!;
    const t = mat[m]!;
    return {
      fusedActive: k.fusedActive,
      kernels: {
        allHeadsUpdated: k.allHeadsUpdated,
        halfHeadsFrozen: k.halfHeadsFrozen,
        perEvaluation: k.perEvaluation,
      },
      vanilla: v,
      mat: t,
      matOverVanillaStepTime: ratio(t.medianStepMs, v.medianStepMs),
    };
  };
  const fused = modes.includes('fused') ? block('fused') : null;
  const composed = modes.includes('composed') ? block('composed') : null;
  const main = (fused ?? composed)!;
  const labParams = kernels[modes[0]!]!.params;
  const ratios = fused &&
    composed && {
      composedOverFusedMsPerStep: {
        vanilla: ratio(composed.vanilla.medianStepMs, fused.vanilla.medianStepMs),
        mat: ratio(composed.mat.medianStepMs, fused.mat.medianStepMs),
      },
      dispatchesComposedOverFused: {
        allHeadsUpdated: ratio(
          composed.kernels.allHeadsUpdated.dispatches,
          fused.kernels.allHeadsUpdated.dispatches,
        ),
        halfHeadsFrozen: ratio(
          composed.kernels.halfHeadsFrozen.dispatches,
          fused.kernels.halfHeadsFrozen.dispatches,
        ),
        perEvaluation: ratio(
          composed.kernels.perEvaluation.dispatches,
          fused.kernels.perEvaluation.dispatches,
        ),
      },
    };
  let torchBlock: Record<string, unknown>;
  if (torch.ran) {
    const check = paramCheck(labParams, torch.result.params);
    const peer = `PyTorch ${torch.result.device}`;
    // TF.js ms/step over PyTorch's for the vanilla step (the peer trains everything): > 1 means
    // TF.js is that many times slower on this machine.
    const vsTorch: Record<string, number | null> = {};
    for (const m of modes) {
      const b = (m === 'fused' ? fused : composed)!;
      vsTorch[`TF.js ${base.backend} (${m}) vs ${peer}`] = ratio(
        b.vanilla.medianStepMs,
        torch.result.msPerStep,
      );
    }
    torchBlock = {
      ...torch.result,
      python: torch.python,
      config: torch.config,
      wallMs: torch.wallMs,
      paramCheck: check,
      tfjsOverTorchMsPerStep: vsTorch,
    };
    console.log(`parameters: ${check.note}`);
    for (const [k, v] of Object.entries(vsTorch)) console.log(`${k}: ${v?.toFixed(2)} ×`);
  } else {
    torchBlock = { skipped: torch.reason };
    console.log(`PyTorch peer skipped: ${torch.reason}`);
  }

  const result = {
    date: new Date().toISOString(),
    backend: device,
    preset: presetId || null,
    config: base,
    steps,
    warmupSteps: WARMUP,
    modes,
    failedModes: failed,
    modesNote:
      base.backend !== 'webgpu'
        ? `The fused kernels exist on WebGPU only: ${base.backend} ran the composed ops only (fused: null).`
        : modes.length === 2
          ? 'fused = setFused("auto"), composed = setFused("off"); their sessions stepped in turn. The top-level kernels/vanilla/mat are the fused mode (the app default on WebGPU).'
          : `${modes[0]} alone (${Object.keys(failed).length > 0 ? 'the other failed: see failedModes' : '--modes'}; the other is null); the top-level kernels/vanilla/mat are it.`,
    labParams,
    // The fields of the earlier result files (the app's default mode), so old figures compare.
    kernels: main.kernels,
    vanilla: main.vanilla,
    mat: main.mat,
    matOverVanillaStepTime: main.matOverVanillaStepTime,
    fused,
    composed,
    ratios,
    torch: torchBlock,
    gpuValidationErrors: base.backend === 'webgpu' ? gpuErrors : null,
    wallSeconds: (performance.now() - started) / 1000,
  };
  mkdirSync(join(here, 'results'), { recursive: true });
  const file = join(here, 'results', `${base.backend}${gles ? '-gles' : ''}.json`);
  writeFileSync(file, JSON.stringify(result, null, 2) + '\n');
  console.log(`wrote ${file}`);
  if (ratios) console.log('ratios', JSON.stringify(ratios));
  for (const [where, e] of Object.entries(gpuErrors)) {
    console.log(
      `WebGPU validation errors in ${where}: ${e.count} (first: ${e.first}) — its figures are not a valid run`,
    );
  }
  const baseline = join(here, `baseline-${base.backend}.json`);
  if (existsSync(baseline)) {
    const b = JSON.parse(readFileSync(baseline, 'utf8')) as typeof result;
    for (const [name, now, then] of [
      ['vanilla ms/step', main.vanilla.medianStepMs, b.vanilla.medianStepMs],
      ['mat ms/step', main.mat.medianStepMs, b.mat.medianStepMs],
    ] as const) {
      const change = now / then - 1;
      console.log(
        `${name}: ${now.toFixed(1)} vs baseline ${then.toFixed(1)} (${(change * 100).toFixed(1)} %)${change > 0.1 ? '  ← slower by more than 10 %' : ''}`,
      );
    }
  }
  process.exit(0);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
