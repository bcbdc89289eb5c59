import * as tf from '@tensorflow/tfjs';
import type { BackendEnv, BackendInfo } from '../core/backend';
import { initBackend, NoWebGPUError } from '../core/backend';
import { now } from '../core/clock';
import type { ExperimentConfig } from '../core/config';
import type { Corpus } from '../core/data/corpus';
import type { FashionData } from '../core/data/fashion';
import { DataError } from '../core/data/corpus';
import type { RunFile } from '../core/runfile';
import type { StepResult } from '../core/session';
import { Session } from '../core/session';
import type { TaskData } from '../core/families';
import { taskDataKind } from '../core/families';
import type { FromWorker, LoadProgress, ToWorker, TrainerErrorCode } from '../protocol/messages';
import { assertNever, PROTOCOL_VERSION } from '../protocol/messages';

/** What the host provides: data loading and the WebGPU/WASM hooks (worker, page or Node). */
export interface HandlerDeps {
  loadCorpus(config: ExperimentConfig): Promise<Corpus>;
  /**
   * Fashion-MNIST: the committed subset, or the full 70,000 images when `config.images` asks for
   * more than it holds, reporting download progress (bytes) through `progress`.
   */
  loadFashion(config: ExperimentConfig, progress: (p: LoadProgress) => void): Promise<FashionData>;
  backendEnv: Omit<BackendEnv, 'onDeviceLost'>;
  /** Builds the session; tests substitute a subclass to provoke failures (NaN losses). */
  createSession?: (config: ExperimentConfig, data: TaskData) => Session;
}

export type Post = (msg: FromWorker, transfer?: Transferable[]) => void;

/** Metrics are pushed at most this often, so the UI never asks per step. */
const PUSH_INTERVAL_MS = 200;
/** Step-time samples kept for the median. */
const TIMING_WINDOW = 50;

interface PendingStep {
  step: number;
  loss: tf.Scalar;
  flops: number;
  vanillaFlops: number;
}

/**
 * The trainer behind the protocol: switches on message type into the core session and runs
 * the training loop, pushing batched metrics. Used unchanged by the worker entry, by the
 * in-thread fallback and by Node tests with a fake `post`.
 */
export function createHandler(post: Post, deps: HandlerDeps): (msg: ToWorker) => Promise<void> {
  let session: Session | null = null;
  let backend: BackendInfo | null = null;
  let running = false;
  let looping: Promise<void> | null = null;
  let stepsToRun = 0;
  let pending: PendingStep[] = [];
  let cumFlops = 0;
  let cumVanilla = 0;
  const stepMs: number[] = [];
  let chunkStart = now();
  let chunkSteps = 0;
  let lastPush = now();
  const metricLog = {
    step: [] as number[],
    loss: [] as number[],
    flops: [] as number[],
    vanillaFlops: [] as number[],
  };
  const valLog = { step: [] as number[], perplexity: [] as number[] };
  let generation = 0;
  /** Set when the GPU device is lost: the loop stops and the next init builds a new backend. */
  let deviceLost = false;
  /**
   * Serialises work that reads or writes the session across awaits (a step, an export), so an
   * export never reads weights in the middle of an optimizer update.
   */
  let lock: Promise<unknown> = Promise.resolve();
  const exclusive = <T>(f: () => Promise<T>): Promise<T> => {
    const run = lock.then(f, f);
    lock = run.catch(() => undefined);
    return run;
  };

  const fail = (code: TrainerErrorCode, message: string, fatal: boolean) => {
    running = false;
    post({ type: 'error', code, message, fatal });
  };

  const status = () => post({ type: 'status', running, step: session?.step ?? 0 });

  const median = (): number | null => {
    if (stepMs.length === 0) return null;
    const s = [...stepMs].sort((a, b) => a - b);
    return s[Math.floor(s.length / 2)]!;
  };

  /** Reads the pending losses in one readback, checks them, and pushes one metrics batch. */
  async function flush(): Promise<void> {
    if (pending.length === 0) return;
    const batch = pending;
    pending = [];
    const stacked = tf.stack(batch.map((p) => p.loss));
    const values = (await stacked.data()) as Float32Array;
    stacked.dispose();
    for (const p of batch) p.loss.dispose();
    const elapsed = now() - chunkStart;
    if (chunkSteps > 0) {
      stepMs.push(elapsed / chunkSteps);
      if (stepMs.length > TIMING_WINDOW) stepMs.shift();
    }
    chunkStart = now();
    chunkSteps = 0;
    const n = batch.length;
    const out = {
      steps: new Int32Array(n),
      loss: new Float32Array(n),
      flops: new Float64Array(n),
      vanillaFlops: new Float64Array(n),
    };
    let badStep = -1;
    batch.forEach((p, i) => {
      out.steps[i] = p.step;
      out.loss[i] = values[i]!;
      out.flops[i] = p.flops;
      out.vanillaFlops[i] = p.vanillaFlops;
      if (!Number.isFinite(values[i]!) && badStep < 0) badStep = p.step;
      metricLog.step.push(p.step);
      metricLog.loss.push(values[i]!);
      metricLog.flops.push(p.flops);
      metricLog.vanillaFlops.push(p.vanillaFlops);
    });
    post({ type: 'metrics', batch: out, medianStepMs: median() }, [
      out.steps.buffer,
      out.loss.buffer,
      out.flops.buffer,
      out.vanillaFlops.buffer,
    ]);
    lastPush = now();
    if (badStep >= 0) {
      fail(
        'nan-loss',
        `The training loss became NaN or infinite at step ${badStep}; the run is paused. ` +
          'Lower the learning rate and reset to start again.',
        false,
      );
    }
  }

  function report(r: StepResult): void {
    const s = session!;
    if (r.evaluation) {
      const e = r.evaluation;
      post({
        type: 'evaluation',
        evaluation: {
          step: e.step,
          lambdaMax: e.lambdaMax,
          spectra: e.spectra,
          effRank: e.effRank,
          updating: Uint8Array.from(s.decisions, (d) => (d.updating ? 1 : 0)),
          reasons: s.decisions.map((d) => d.reason),
          ms: e.ms,
        },
      });
    } else if (r.decisions) {
      post({
        type: 'decisions',
        step: r.step - 1,
        updating: Uint8Array.from(r.decisions, (d) => (d.updating ? 1 : 0)),
        reasons: r.decisions.map((d) => d.reason),
      });
    }
    for (const ev of r.events)
      post({ type: 'event', event: { step: ev.step, name: ev.name, value: ev.to }, from: ev.from });
  }

  async function postView(step: number): Promise<void> {
    const view = await session?.task.view?.();
    if (view) post({ type: 'view', step, view });
  }

  async function runOne(): Promise<void> {
    await exclusive(stepOnce);
  }

  async function stepOnce(): Promise<void> {
    const s = session;
    if (!s) return;
    const r = await s.advance();
    cumFlops += r.flops;
    cumVanilla += r.vanillaFlops;
    pending.push({ step: r.step, loss: r.loss, flops: cumFlops, vanillaFlops: cumVanilla });
    chunkSteps++;
    report(r);
    if (r.step % s.config.valEvery === 0) {
      const ppl = await s.validate();
      valLog.step.push(r.step);
      valLog.perplexity.push(ppl);
      post({ type: 'validation', step: r.step, perplexity: ppl });
      await postView(r.step);
    }
  }

  async function loop(gen: number): Promise<void> {
    try {
      while (session && gen === generation && (running || stepsToRun > 0)) {
        await runOne();
        if (stepsToRun > 0) stepsToRun--;
        const stopAt = session.config.stopAt;
        if (stopAt > 0 && session.step >= stopAt && running) {
          running = false;
          stepsToRun = 0;
        }
        if (now() - lastPush >= PUSH_INTERVAL_MS) await flush();
        // Let messages (pause, sliders) in between steps.
        await new Promise((r) => setTimeout(r, 0));
      }
      await flush();
    } catch (e) {
      if (gen !== generation || deviceLost) return;
      const message = e instanceof Error ? e.message : String(e);
      fail('internal', `Training stopped with an error: ${message}`, true);
    } finally {
      if (gen === generation) {
        looping = null;
        status();
      }
    }
  }

  function kick(): void {
    chunkStart = now();
    chunkSteps = 0;
    if (!looping) looping = loop(generation);
    status();
  }

  async function init(config: ExperimentConfig): Promise<void> {
    generation++;
    running = false;
    stepsToRun = 0;
    if (looping) await looping.catch(() => undefined);
    looping = null;
    for (const p of pending) p.loss.dispose();
    pending = [];
    session?.dispose();
    session = null;
    cumFlops = cumVanilla = 0;
    stepMs.length = 0;
    metricLog.step = [];
    metricLog.loss = [];
    metricLog.flops = [];
    metricLog.vanillaFlops = [];
    valLog.step = [];
    valLog.perplexity = [];
    const gen = generation;
    try {
      if (!backend || backend.requested !== config.backend || deviceLost) {
        deviceLost = false;
        backend = await initBackend(config.backend, {
          ...deps.backendEnv,
          onDeviceLost: (m) => {
            deviceLost = true;
            generation++;
            fail(
              'device-lost',
              `The GPU device was lost (${m}); the run stopped. Reset to start again on a new device.`,
              true,
            );
            status();
          },
        });
      }
      const data = await loadData(config);
      if (gen !== generation) return;
      session = (deps.createSession ?? ((c, k) => new Session(c, k)))(config, data);
    } catch (e) {
      backend = null;
      const message = e instanceof Error ? e.message : String(e);
      if (e instanceof NoWebGPUError)
        fail(
          'no-webgpu',
          `WebGPU is not available: ${message}. Choose backend=wasm or auto.`,
          true,
        );
      else if (e instanceof DataError)
        fail('data', `The training data could not be loaded: ${message}`, true);
      else fail('internal', `The experiment could not start: ${message}`, true);
      return;
    }
    post({
      type: 'ready',
      version: PROTOCOL_VERSION,
      backend,
      config,
      modules: session.modules,
      flopsPerVanillaStep: session.flopsPerVanillaStep,
      flopsPerEvaluation: session.policy.needsKernel ? session.flopsPerEvaluation : 0,
      probeOutputs: session.task.probeInfo,
      metric: session.task.metric,
    });
    await postView(0);
    status();
  }

  /** The task's data; progress of a large download is forwarded at most every 100 ms. */
  async function loadData(config: ExperimentConfig): Promise<TaskData> {
    switch (taskDataKind(config)) {
      case 'corpus':
        return { corpus: await deps.loadCorpus(config) };
      case 'fashion': {
        let last = -Infinity;
        const fashion = await deps.loadFashion(config, (p) => {
          const t = now();
          if (t - last < 100 && p.loaded !== p.total) return;
          last = t;
          post({ type: 'loading', progress: p });
        });
        return { fashion };
      }
      case 'none':
        return {};
    }
  }

  const handle = async (msg: ToWorker): Promise<void> => {
    switch (msg.type) {
      case 'init':
        if (msg.version !== PROTOCOL_VERSION) {
          fail(
            'config',
            `Protocol version ${msg.version} does not match ${PROTOCOL_VERSION}.`,
            true,
          );
          return;
        }
        await init(msg.config);
        return;
      case 'play':
        if (!session) return;
        running = true;
        kick();
        return;
      case 'pause':
        running = false;
        stepsToRun = 0;
        if (looping) await looping;
        status();
        return;
      case 'step':
        if (!session || running) return;
        stepsToRun += Math.max(1, Math.floor(msg.count));
        kick();
        return;
      case 'setParam': {
        if (!session) return;
        const paused = !running && !looping;
        const { event, decisions } = session.setParam(msg.name, msg.value, paused);
        if (event)
          post({
            type: 'event',
            event: { step: event.step, name: event.name, value: event.to },
            from: event.from,
          });
        if (decisions) {
          post({
            type: 'decisions',
            step: session.step,
            updating: Uint8Array.from(decisions, (d) => (d.updating ? 1 : 0)),
            reasons: decisions.map((d) => d.reason),
          });
        }
        return;
      }
      case 'override': {
        if (!session) return;
        const decisions = session.override(msg.id, msg.mode);
        post({
          type: 'decisions',
          step: session.step,
          updating: Uint8Array.from(decisions, (d) => (d.updating ? 1 : 0)),
          reasons: decisions.map((d) => d.reason),
        });
        return;
      }
      case 'export': {
        if (!session || !backend) {
          fail('internal', 'There is no run to export yet.', false);
          return;
        }
        const s = session;
        const b = backend;
        const run: RunFile = await exclusive(() =>
          s.exportRun(
            {
              backend: b.backend,
              adapter: b.adapter,
              isFallbackAdapter: b.isFallbackAdapter,
            },
            {
              step: [...metricLog.step],
              loss: [...metricLog.loss],
              flops: [...metricLog.flops],
              vanillaFlops: [...metricLog.vanillaFlops],
            },
            { step: [...valLog.step], perplexity: [...valLog.perplexity] },
          ),
        );
        post({ type: 'exported', requestId: msg.requestId, run });
        return;
      }
      case 'dispose':
        generation++;
        running = false;
        session?.dispose();
        session = null;
        return;
      default:
        assertNever(msg);
    }
  };

  // Every failure becomes a message: nothing is swallowed by a fire-and-forget caller.
  return async (msg: ToWorker) => {
    try {
      await handle(msg);
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      fail('internal', `The ${msg.type} request failed: ${message}`, msg.type === 'init');
    }
  };
}
