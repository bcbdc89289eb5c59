import type { BackendInfo } from '../core/backend';
import { compiledKernels, initBackend, NoWebGPUError } from '../core/backend';
import { now } from '../core/clock';
import type { ExperimentConfig, LiveParam } from '../core/config';
import { DataError } from '../core/data/corpus';
import type { RunCheckpoint } from '../core/checkpoint';
import {
  CHECKPOINT_FORMAT,
  CHECKPOINT_VERSION,
  CheckpointError,
  checkpointBuffers,
  checkRunCheckpoint,
} from '../core/checkpoint';
import { saveModelView } from '../core/runfile';
import type { TaskData } from '../core/families';
import { taskDataKind } from '../core/families';
import type { StepResult } from '../core/session';
import { DivergenceError, Session } from '../core/session';
import type { Decision, Evaluation, ManualOverride } from '../core/types';
import type { FromWorker, InitOptions, TrainerErrorCode } from '../protocol/messages';
import { fusedActive, setFused } from '../core/fused/program';
import { AUTOSAVE_MIN_INTERVAL_MS, BUSY_AFTER_MS, PROTOCOL_VERSION } from '../protocol/messages';
import type { HandlerDeps, Post } from './handler';
import { MetricsPump } from './metrics-pump';
import type { MetricsMark } from './metrics-pump';
import { CheckpointRing } from './checkpoint-ring';
import type { DeviceCheckpoint } from '../core/session';
import { asFork } from '../core/fork';
import { checkpointsToSave } from '../core/checkpoint-json';

/** A checkpoint the ring keeps: the Session's on the device, the metrics' as a mark. */
interface ForkPoint {
  readonly step: number;
  readonly bytes: number;
  readonly session: DeviceCheckpoint;
  readonly metrics: MetricsMark;
  readonly config: ExperimentConfig;
  readonly backend: { backend: string; adapter: string };
  dispose(): void;
}

/** An error's message, whatever was thrown. */
export function messageOf(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/**
 * While playing, the step counter is posted after every step, but not twice within this many ms
 * (half a frame: faster steps could not be shown one by one anyway).
 */
const STATUS_INTERVAL_MS = 8;

/** How often a step running longer than `BUSY_AFTER_MS` is reported (`busy`). */
const BUSY_TICK_MS = 500;

/** Decisions in module order as the protocol carries them. */
function encodeDecisions(
  decisions: readonly Decision[],
): Pick<Extract<FromWorker, { type: 'decisions' }>, 'updating' | 'reasons'> {
  return {
    updating: Uint8Array.from(decisions, (d) => (d.updating ? 1 : 0)),
    reasons: decisions.map((d) => d.reason),
  };
}

/** The `decisions` message: the decisions in force from `step` on. */
function decisionsMsg(step: number, decisions: readonly Decision[]): FromWorker {
  return { type: 'decisions', step, ...encodeDecisions(decisions) };
}

/** The `ready` message: what the page needs to know about a new run. */
function readyMsg(s: Session, backend: BackendInfo, config: ExperimentConfig): FromWorker {
  return {
    type: 'ready',
    version: PROTOCOL_VERSION,
    backend,
    config,
    modules: s.modules,
    flopsPerVanillaStep: s.flopsPerVanillaStep,
    flopsPerEvaluation: s.policy.needsKernel ? s.flopsPerEvaluation : 0,
    evaluationFlops: s.flopsPerEvaluation,
    probeOutputs: s.task.probeInfo,
    metric: s.task.metric,
  };
}

/**
 * One run in the worker: the backend it runs on, its Session, and the play/pause/step loop.
 * Every step and every export goes through `exclusive`, so an export never reads weights in the
 * middle of an optimizer update. A new `init`, `dispose` or a lost device bumps `generation`,
 * which ends a loop that belongs to the run before.
 */
export class TrainingLoop {
  private session: Session | null = null;
  private backend: BackendInfo | null = null;
  /** Set when the GPU device is lost: the loop stops and the next init builds a new backend. */
  private deviceLost = false;
  private running = false;
  /** Steps still to take for `step` requests (while not running). */
  private stepsToRun = 0;
  private looping: Promise<void> | null = null;
  private generation = 0;
  private lock: Promise<unknown> = Promise.resolve();
  /** The inits asked for so far, chained (see `init`). */
  private inits: Promise<void> = Promise.resolve();
  private disposed = false;
  private readonly metrics: MetricsPump;
  /** When the last `status` was posted. */
  private lastStatus = -Infinity;
  /**
   * The step in progress (from its start to its metrics' readback): when it started, the steps
   * completed then and the shader programs compiled then. Null between steps.
   */
  private stepStart: { at: number; step: number; kernels: number | null } | null = null;
  /**
   * Autosave (`InitOptions.autosaveEvery`): scheduled evaluations between two checkpoints (0:
   * off), those run since the last one, when it was posted and at which step.
   */
  private autosave = { every: 0, evaluations: 0, at: -Infinity, step: -1 };
  /** Checkpoints at evaluations, on the device, for forks and exports (`CheckpointRing`). */
  readonly ring = new CheckpointRing<ForkPoint>();

  constructor(
    private readonly post: Post,
    private readonly deps: HandlerDeps,
  ) {
    this.metrics = new MetricsPump(post);
  }

  /** Stops the loop (it finishes its step) and reports the error. */
  fail(code: TrainerErrorCode, message: string, fatal: boolean): void {
    this.running = false;
    this.post({ type: 'error', code, message, fatal });
  }

  /**
   * Ends the current run and starts a new one: backend, data, session, then `ready`. Inits run
   * one after another and each answers `ready` (or an error), even one that the next replaces at
   * once: the store counts the answers to drop the replaced runs' messages, so an init that
   * answered nothing (a preset picked while the first run still loads) would leave the page
   * waiting for ever.
   */
  init(config: ExperimentConfig, opts: InitOptions = {}): Promise<void> {
    const started = this.inits.then(() => this.start(config, opts));
    this.inits = started.catch(() => undefined);
    return started;
  }

  private async start(config: ExperimentConfig, opts: InitOptions): Promise<void> {
    // A disposed loop starts nothing more (an init queued behind the dispose).
    if (this.disposed) return;
    this.generation++;
    this.running = false;
    this.stepsToRun = 0;
    if (this.looping) await this.looping.catch(() => undefined);
    this.looping = null;
    // A fork reads its checkpoint before the run it comes from is dropped (its metrics too).
    if (opts.fork) {
      const point = this.ring.get(opts.fork.step);
      if (!point) {
        this.fail('config', `There is no checkpoint at step ${opts.fork.step} to fork from.`, true);
        return;
      }
      opts = { ...opts, resume: asFork(await this.readPoint(point)) };
      config = opts.resume!.config;
      this.ring.keepUpTo(opts.fork!.step);
    } else this.ring.clear();
    this.metrics.reset();
    this.session?.dispose();
    this.session = null;
    const gen = this.generation;
    let backend: BackendInfo;
    let resume: RunCheckpoint | null = null;
    try {
      if (opts.resume) resume = checkRunCheckpoint(opts.resume);
      backend = await this.ensureBackend(config);
      setFused(opts.fused === false ? 'off' : 'auto');
      backend = { ...backend, fused: fusedActive() };
      const data = await loadTaskData(config, this.deps, this.post);
      if (gen !== this.generation) return;
      this.session = resume
        ? Session.restore(config, data, resume.session)
        : (this.deps.createSession ?? ((c, k) => new Session(c, k)))(config, data);
    } catch (e) {
      this.backend = null;
      this.failToStart(e);
      return;
    }
    const step = this.session.step;
    this.autosave = { every: opts.autosaveEvery ?? 0, evaluations: 0, at: now(), step };
    this.post(readyMsg(this.session, backend, config));
    if (resume) {
      this.metrics.restore(resume);
      this.postRestored(this.session, resume);
    }
    this.post({ type: 'checkpoints', steps: this.ring.steps() });
    for (const e of this.session.ignoredEvents) {
      this.post({
        type: 'error',
        code: 'config',
        message: `events: ${e.step}:${e.module}:${e.mode} overrides module ${e.module}, which this model does not have; ignored.`,
        fatal: false,
      });
    }
    await this.postView(step);
    this.status();
  }

  /**
   * A restored run's history, as the messages the run posted while it trained (so the page's
   * reducers build the same charts): its metrics in one batch, the validations, every evaluation
   * with the decisions taken at it (decisions taken between evaluations as `decisions`), and
   * the change log.
   */
  private postRestored(s: Session, c: RunCheckpoint): void {
    const m = c.metrics;
    if (m.step.length > 0) {
      const batch = {
        steps: m.step.slice(),
        loss: m.loss.slice(),
        flops: m.flops.slice(),
        vanillaFlops: m.vanillaFlops.slice(),
        split: s.flopSplits(),
      };
      const { steps, loss, flops, vanillaFlops } = batch;
      this.post({ type: 'metrics', batch, medianStepMs: c.medianStepMs }, [
        steps.buffer,
        loss.buffer,
        flops.buffer,
        vanillaFlops.buffer,
      ]);
    }
    c.validation.step.forEach((step, i) =>
      this.post({ type: 'validation', step, perplexity: c.validation.value[i]! }),
    );
    let e = 0;
    for (const d of s.decisionLog) {
      // The evaluations before this decision (one taken at no evaluation keeps the last column).
      while (e < s.history.length && s.history[e]!.step < d.step) this.postEvaluation(s, e++, null);
      if (s.history[e]?.step === d.step) this.postEvaluation(s, e++, d.decisions);
      else this.post(decisionsMsg(d.step, d.decisions));
    }
    while (e < s.history.length) this.postEvaluation(s, e++, null);
    for (const event of s.events) this.post({ type: 'event', event: { ...event } });
  }

  /** History entry `i` as an `evaluation` message with `decisions` (null: those of the log). */
  private postEvaluation(s: Session, i: number, decisions: readonly Decision[] | null): void {
    const h = s.history[i]!;
    const ms = (h as { ms?: number }).ms ?? 0;
    let d = decisions;
    if (!d) for (const x of s.decisionLog) if (x.step <= h.step) d = x.decisions;
    this.postEvaluationOf({ ...h, ms }, d ?? s.decisions);
  }

  /** An `evaluation` message: the evaluation's spectrum figures and ms, with `decisions`. */
  private postEvaluationOf(e: Evaluation & { ms: number }, decisions: readonly Decision[]): void {
    const { step, lambdaMax, spectra, effRank, stdErr, ms } = e;
    const evaluation = {
      step,
      lambdaMax,
      spectra,
      effRank,
      ...(stdErr ? { stdErr } : {}),
      ...encodeDecisions(decisions),
      ms,
    };
    this.post({ type: 'evaluation', evaluation });
  }

  play(): void {
    if (!this.session) return;
    this.running = true;
    this.kick();
  }

  /** Queues `count` steps (at least one) when paused. */
  step(count: number): void {
    if (!this.session || this.running) return;
    this.stepsToRun += Math.max(1, Math.floor(count));
    this.kick();
  }

  /**
   * Stops after the step in progress; resolves once the loop has ended. The status it posts then
   * says at which step the pause was received (`pauseReceivedAt`), so where the loop stopped can
   * be checked against it.
   */
  async pause(): Promise<void> {
    const received = this.session?.step ?? 0;
    this.running = false;
    this.stepsToRun = 0;
    if (this.looping) await this.looping;
    this.status(received);
  }

  /** A slider move: queued for the next evaluation while training, applied at once when paused. */
  setParam(name: LiveParam, value: number): void {
    const s = this.session;
    if (!s) return;
    const paused = !this.running && !this.looping;
    const { event, decisions } = s.setParam(name, value, paused);
    if (event) this.post({ type: 'event', event: { ...event } });
    if (decisions) this.post(decisionsMsg(s.step, decisions));
  }

  /**
   * A manual override, applied between two steps (never inside one) and logged at the step it
   * took effect, so the link replays it there.
   */
  async override(id: string, mode: ManualOverride | null): Promise<void> {
    const s = this.session;
    if (!s) return;
    await this.exclusive(() => {
      if (this.session !== s) return Promise.resolve();
      const { event, decisions } = s.override(id, mode);
      if (event) this.post({ type: 'event', event: { ...event } });
      this.post(decisionsMsg(s.step, decisions));
      return Promise.resolve();
    });
  }

  /**
   * The run so far as a run file, read between two steps; with `checkpoints`, the ring's
   * checkpoints too (read back now; the newest that fit, `checkpointsToSave`).
   */
  async exportRun(requestId: number, checkpoints = false): Promise<void> {
    const s = this.session;
    const b = this.backend;
    if (!s || !b) {
      this.fail('internal', 'There is no run to export yet.', false);
      return;
    }
    const { backend, adapter, isFallbackAdapter } = b;
    const run = await this.exclusive(async () => {
      const { metrics, validation } = this.metrics.snapshot();
      const file = await s.exportRun({ backend, adapter, isFallbackAdapter }, metrics, validation);
      // The model's view at the exported weights and the measured step time, so an import
      // shows what the page showed (docs/run-format.md).
      const view = await s.task.view?.();
      const points: RunCheckpoint[] = [];
      if (checkpoints) for (const p of this.ring.all()) points.push(await this.readPoint(p));
      return {
        ...file,
        ...(view ? { modelView: { step: s.step, view: saveModelView(view) } } : {}),
        medianStepMs: this.metrics.median(),
        ...(checkpoints ? { checkpoints: checkpointsToSave(points) } : {}),
      };
    });
    this.post({ type: 'exported', requestId, run });
  }

  dispose(): void {
    this.disposed = true;
    this.generation++;
    this.running = false;
    this.ring.clear();
    this.session?.dispose();
    this.session = null;
  }

  /** Posts the step counter; `pauseReceivedAt` only in the answer to a `pause`. */
  private status(pauseReceivedAt?: number): void {
    this.lastStatus = now();
    const step = this.session?.step ?? 0;
    this.post({
      type: 'status',
      running: this.running,
      step,
      ...(pauseReceivedAt === undefined ? {} : { pauseReceivedAt }),
    });
  }

  /** Keeps the backend unless the config asks for another one or the device was lost. */
  private async ensureBackend(config: ExperimentConfig): Promise<BackendInfo> {
    if (this.backend && this.backend.requested === config.backend && !this.deviceLost)
      return this.backend;
    this.deviceLost = false;
    this.backend = await initBackend(config.backend, {
      ...this.deps.backendEnv,
      onDeviceLost: (m) => {
        this.deviceLost = true;
        this.generation++;
        this.fail(
          'device-lost',
          `The GPU device was lost (${m}); the run stopped. Resume it from its last save (offered above when there is one) or Reset to start again, on a new device.`,
          true,
        );
        this.status();
      },
    });
    return this.backend;
  }

  private failToStart(e: unknown): void {
    const message = messageOf(e);
    if (e instanceof NoWebGPUError)
      this.fail(
        'no-webgpu',
        `WebGPU is not available: ${message}. Choose backend=wasm or auto.`,
        true,
      );
    else if (e instanceof CheckpointError)
      this.fail('config', `The saved run could not be restored: ${message}`, true);
    else if (e instanceof DataError)
      this.fail('data', `The training data could not be loaded: ${message}`, true);
    else this.fail('internal', `The experiment could not start: ${message}`, true);
  }

  /** Runs `f` after every earlier exclusive task has settled (failed or not). */
  private exclusive<T>(f: () => Promise<T>): Promise<T> {
    const run = this.lock.then(f, f);
    this.lock = run.catch(() => undefined);
    return run;
  }

  private kick(): void {
    this.metrics.startChunk();
    if (!this.looping) this.looping = this.loop(this.generation);
    this.status();
  }

  private async loop(gen: number): Promise<void> {
    // The run this loop steps: `init` starts a new one only after the loop has ended.
    const run = this.session;
    // A step that takes long (the first one compiles every shader; a large model on a slow
    // adapter) is reported while it runs, so the page never looks idle while it waits.
    const busyTimer = setInterval(() => this.tickBusy(gen), BUSY_TICK_MS);
    /** Set when the divergence guard paused the run. */
    let stopped = false;
    try {
      if (!run) return;
      while (this.session && gen === this.generation && (this.running || this.stepsToRun > 0)) {
        this.stepStart = { at: now(), step: this.session.step, kernels: compiledKernels() };
        // The divergence guard reads the losses before every evaluation, so none runs on a model
        // whose loss diverged (docs/method.md, "Divergence guard").
        if (run.evaluationDue() && this.metrics.hasPending() && (await this.flush(run))) {
          stopped = true;
          break;
        }
        // A checkpoint for forks at every evaluation, before it (as autosave's): the losses were
        // just read back (the guard), so the metrics reach this step.
        if (run.evaluationDue() && !this.metrics.hasPending()) this.keepForkPoint(run);
        // Autosave at an evaluation boundary, before the evaluation (so S is a multiple of K).
        if (run.evaluationDue() && this.autosaveDue())
          await this.saveCheckpoint(run, 'evaluations');
        await this.exclusive(() => this.stepOnce());
        if (this.stepsToRun > 0) this.stepsToRun--;
        // stopAt pauses once, at the step that reaches it; Play from there (or later) trains on.
        const stopAt = this.session.config.stopAt;
        if (stopAt > 0 && this.session.step === stopAt && this.running) {
          this.running = false;
          this.stepsToRun = 0;
        }
        // The step counter follows every step (metrics come in batches ≤ 5/s), so what the page
        // shows when Pause is pressed is where the run is, give or take the messages in flight;
        // the pause itself stops the run after the step in progress (the yield below).
        // (Only while playing: a run of `step`s, or one that just paused, ends with a status.)
        if (this.running && now() - this.lastStatus >= STATUS_INTERVAL_MS) this.status();
        if (this.metrics.due()) await this.flush(run);
        this.stepStart = null;
        // Let messages (pause, sliders) in between steps.
        await new Promise((r) => setTimeout(r, 0));
      }
      if (!(await this.flush(run)) && !stopped && gen === this.generation) {
        // Where training stopped (pause, stopAt, the steps asked for), unless the run diverged:
        // the last save before it is the one to go back to.
        await this.saveCheckpoint(run, 'paused');
      }
    } catch (e) {
      if (gen !== this.generation || this.deviceLost) return;
      if (e instanceof DivergenceError && run) {
        // Non-finite weights reached an evaluation: paused, not fatal (Export stays enabled). The
        // losses not yet pushed are delivered first (they may already say why).
        this.stepsToRun = 0;
        if (!(await this.flush(run))) {
          this.fail(
            'nan-loss',
            `${e.message}; the run is paused at step ${e.step} before the evaluation. ` +
              'Export keeps what you have; lower the learning rate and reset to start again.',
            false,
          );
        }
        return;
      }
      this.fail('internal', `Training stopped with an error: ${messageOf(e)}`, true);
    } finally {
      clearInterval(busyTimer);
      if (gen === this.generation) {
        this.stepStart = null;
        this.looping = null;
        this.status();
      }
    }
  }

  private autosaveDue(): boolean {
    const a = this.autosave;
    return a.every > 0 && a.evaluations >= a.every && now() - a.at >= AUTOSAVE_MIN_INTERVAL_MS;
  }

  /**
   * Posts the run as a checkpoint (its arrays transferred), read between two steps after every
   * loss so far was read back (so the metrics and the guard's memory reach its step). Nothing
   * when autosave is off, the run is not `s` any more, or nothing changed since the last one.
   */
  private async saveCheckpoint(s: Session, reason: 'evaluations' | 'paused'): Promise<void> {
    const b = this.backend;
    if (this.autosave.every <= 0 || !b || this.session !== s) return;
    if (reason === 'paused' && this.autosave.step === s.step) return;
    if (await this.flush(s)) return;
    const t0 = now();
    const checkpoint = await this.exclusive(async (): Promise<RunCheckpoint | null> => {
      if (this.session !== s) return null;
      return {
        format: CHECKPOINT_FORMAT,
        version: CHECKPOINT_VERSION,
        createdAt: new Date().toISOString(),
        config: s.config,
        backend: { backend: b.backend, adapter: b.adapter },
        session: await s.checkpoint(),
        ...this.metrics.checkpoint(),
      };
    });
    if (!checkpoint) return;
    this.autosave = { ...this.autosave, evaluations: 0, at: now(), step: checkpoint.session.step };
    const ms = now() - t0;
    this.post({ type: 'checkpoint', reason, checkpoint, ms }, checkpointBuffers(checkpoint));
  }

  /**
   * Keeps the run at this evaluation boundary in the ring, on the device (no readback: tensor
   * copies and the metrics logs' lengths), and tells the page which steps it can fork from.
   */
  private keepForkPoint(s: Session): void {
    const b = this.backend;
    if (!b || this.session !== s || this.ring.get(s.step)) return;
    const session = s.deviceCheckpoint();
    const point: ForkPoint = {
      step: s.step,
      bytes: session.bytes,
      session,
      metrics: this.metrics.mark(),
      config: s.config,
      backend: { backend: b.backend, adapter: b.adapter },
      dispose: () => session.dispose(),
    };
    this.ring.add(point);
    this.post({ type: 'checkpoints', steps: this.ring.steps() });
  }

  /** A ring checkpoint as a whole run checkpoint (the readback). */
  private async readPoint(p: ForkPoint): Promise<RunCheckpoint> {
    return {
      format: CHECKPOINT_FORMAT,
      version: CHECKPOINT_VERSION,
      createdAt: new Date().toISOString(),
      config: p.config,
      backend: p.backend,
      session: await p.session.read(),
      ...this.metrics.checkpointAt(p.metrics),
    };
  }

  /** Posts `busy` while the step in progress has run longer than `BUSY_AFTER_MS`. */
  private tickBusy(gen: number): void {
    const start = this.stepStart;
    if (!start || gen !== this.generation) return;
    const ms = now() - start.at;
    if (ms < BUSY_AFTER_MS) return;
    const kernels = compiledKernels();
    const newKernels = kernels !== null && start.kernels !== null ? kernels - start.kernels : 0;
    this.post({ type: 'busy', busy: { step: start.step, ms, kernels, newKernels } });
  }

  private async stepOnce(): Promise<void> {
    const s = this.session;
    if (!s) return;
    const r = await s.advance();
    if (r.evaluation) this.autosave.evaluations++;
    this.metrics.add(r);
    this.report(s, r);
    if (r.step % s.config.valEvery === 0) {
      this.metrics.validation(r.step, await s.validate());
      await this.postView(r.step);
    }
  }

  /**
   * Pushes the metrics batch (with `s`'s FLOPs by part). The divergence guard checks its losses:
   * a NaN, infinite or blown-up loss pauses the run (non-fatal: Export stays enabled); returns
   * whether it did.
   */
  private async flush(s: Session): Promise<boolean> {
    const diverged = await this.metrics.flush(() => s.flopSplits());
    if (!diverged) return false;
    this.stepsToRun = 0;
    this.fail('nan-loss', diverged.message, false);
    return true;
  }

  /** What a step did besides its loss: an evaluation or new decisions, and applied events. */
  private report(s: Session, r: StepResult): void {
    // Replayed overrides took effect before the evaluation: posted first, as live ones are.
    if (r.overrideDecisions && r.evaluation)
      this.post(decisionsMsg(r.step - 1, r.overrideDecisions));
    if (r.evaluation) {
      this.postEvaluationOf(r.evaluation, s.decisions);
    } else if (r.decisions) {
      this.post(decisionsMsg(r.step - 1, r.decisions));
    }
    for (const event of r.events) this.post({ type: 'event', event: { ...event } });
  }

  private async postView(step: number): Promise<void> {
    const view = await this.session?.task.view?.();
    if (view) this.post({ type: 'view', step, view });
  }
}

/** The task's data; progress of a large download is forwarded at most every 100 ms. */
async function loadTaskData(
  config: ExperimentConfig,
  deps: HandlerDeps,
  post: Post,
): Promise<TaskData> {
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
