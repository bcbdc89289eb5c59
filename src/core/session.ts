import * as tf from '@tensorflow/tfjs';
import { now } from './clock';
import type {
  ExperimentConfig,
  LiveParam,
  LoggedEvent,
  LoggedOverrideEvent,
  LoggedParamEvent,
  OverrideEvent,
  OverrideMode,
  ParamEvent,
} from './config';
import { runEventOf } from './config';
import type { Corpus } from './data/corpus';
import type { FlopSplit, FlopSplits, StepFlops } from './flops';
import { addStepFlops, splitTotal, zeroSplit } from './flops';
import type { SpectrumInput } from './kernel';
import { kernelInput, moduleSpectra } from './kernel';
import { FusedAdam } from './optim/adam';
import { decideWithOverrides } from './policies/overrides';
import { getPolicy } from './policies/registry';
import type { Policy, PolicyParams } from './policies/types';
import { policyParams } from './policies/types';
import type { SeededRng } from './rng';
import { createRng } from './rng';
import type { CheckpointEvaluation, SessionCheckpoint } from './checkpoint';
import { CheckpointError } from './checkpoint';
import type { RunFile, SavedTensor } from './runfile';
import { RUN_FILE_CAPS, RUN_FORMAT, RUN_FORMAT_VERSION } from './runfile';
import { createTask } from './families';
import type { TaskData } from './families';
import type { LabModel } from './families/model';
import { trainedVariables } from './families/model';
import type { StepProbe, Task, TaskBatch } from './families/types';
import type { Decision, Evaluation, ManualOverride, ModuleInfo } from './types';

/** The event log's entries as the Session logs them (config.ts). */
export type { LoggedEvent, LoggedOverrideEvent, LoggedParamEvent };

/** What one call of `advance` did. */
export interface StepResult {
  /** Completed steps after this one. */
  step: number;
  /** Mean masked-token cross-entropy of the step; the caller reads it and disposes it. */
  loss: tf.Scalar;
  evaluation: (Evaluation & { ms: number }) | null;
  /** Set when the decisions changed (at an evaluation or a replayed event). */
  decisions: Decision[] | null;
  /**
   * The decisions replayed overrides set before this step's evaluation, if any (they held from
   * `step − 1` on, as a live override's do, until the evaluation decided again); else null.
   */
  overrideDecisions: Decision[] | null;
  events: LoggedEvent[];
  /** FLOPs charged to this step (mNTK included when the policy needs it) and vanilla's. */
  flops: number;
  vanillaFlops: number;
  /**
   * The run's and vanilla's cumulative FLOPs after this step: the sums of `flopSplits()`'s parts,
   * so totals and split always agree (the split itself is copied only when asked for).
   */
  totalFlops: number;
  totalVanillaFlops: number;
}

/** A checkpoint kept on the device (`Session.deviceCheckpoint`), read back on demand. */
export interface DeviceCheckpoint {
  /** Completed training steps when it was taken. */
  readonly step: number;
  /** Bytes its weight and moment copies hold on the device. */
  readonly bytes: number;
  /** The checkpoint as `Session.checkpoint()` gave it when it was taken (a readback). */
  read(): Promise<SessionCheckpoint>;
  dispose(): void;
}

/** A history entry as a checkpoint holds it (copies). */
const copyDecisions = (d: readonly Decision[]): Decision[] => d.map((x) => ({ ...x }));

/** A decision-log entry as a checkpoint keeps it (its decisions copied). */
const copyLogEntry = (e: { step: number; decisions: readonly Decision[] }) => ({
  step: e.step,
  decisions: copyDecisions(e.decisions),
});

function checkpointEvaluation(e: Evaluation): CheckpointEvaluation {
  return {
    step: e.step,
    lambdaMax: e.lambdaMax.slice(),
    spectra: e.spectra.slice(),
    effRank: e.effRank.slice(),
    ...(e.stdErr ? { stdErr: e.stdErr.slice() } : {}),
    ms: (e as Evaluation & { ms?: number }).ms ?? 0,
  };
}

export class NanLossError extends Error {
  override name = 'NanLossError';
}

/**
 * The run diverged (the divergence guard, docs/method.md "Divergence guard"): an evaluation found
 * NaN or infinite kernels, i.e. non-finite weights. Thrown before any eigen-decomposition and
 * before the step trains, so the Session is left at `step`, whole and exportable.
 */
export class DivergenceError extends Error {
  override name = 'DivergenceError';
  constructor(
    readonly step: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Most changes one run logs: what a run file holds (`RUN_FILE_CAPS.events`), so every run's
 * export imports. A slider move or override beyond it is refused with a message.
 */
export const MAX_LOGGED_EVENTS = RUN_FILE_CAPS.events;

/** Whether every value is a finite number. */
function allFinite(values: ArrayLike<number>): boolean {
  for (let i = 0; i < values.length; i++) if (!Number.isFinite(values[i]!)) return false;
  return true;
}

/**
 * One training run: model, data, optimizer, probe, policy, and the log that makes it
 * reproducible. Pure TF.js; the backend must be set before `create`.
 */
export class Session {
  readonly config: ExperimentConfig;
  readonly task: Task;
  readonly model: LabModel;
  readonly modules: ModuleInfo[];
  readonly policy: Policy;
  readonly flopsPerVanillaStep: number;
  readonly flopsPerEvaluation: number;
  /** One vanilla step by part (every module updated). */
  readonly vanillaStepFlops: StepFlops;
  step = 0;
  decisions: Decision[];
  readonly history: Evaluation[] = [];
  readonly decisionLog: { step: number; decisions: Decision[] }[] = [];
  readonly events: LoggedEvent[] = [];
  readonly overrides = new Map<string, ManualOverride>();
  params: PolicyParams;
  private prevDecisions: Decision[] | null = null;
  private lastEvalStep = -1;
  private pending: { name: LiveParam; value: number }[] = [];
  /** The config's events still to replay, by step: slider moves and manual overrides. */
  private replay: ParamEvent[];
  private replayOverrides: OverrideEvent[];
  /** Override events of the config naming no module of this model: not replayed. */
  readonly ignoredEvents: OverrideEvent[];
  private readonly batchRng: SeededRng;
  private readonly policyRng: SeededRng;
  private readonly optimizer: FusedAdam;
  private stepFlopsCache = new Map<string, StepFlops>();
  /** Cumulative FLOPs by part: charged to the run, and vanilla's for the same steps. */
  private readonly spent: { run: FlopSplit; vanilla: FlopSplit } = {
    run: zeroSplit(),
    vanilla: zeroSplit(),
  };

  constructor(config: ExperimentConfig, data: Corpus | TaskData | null) {
    this.config = config;
    const rng = createRng(config.seed);
    const taskData: TaskData = data && 'train' in data ? { corpus: data } : (data ?? {});
    this.task = createTask(config, taskData, rng);
    this.model = this.task.model;
    this.modules = this.task.modules;
    this.batchRng = rng.fork('batches');
    this.policyRng = rng.fork('policy');
    this.policy = getPolicy(config.policy);
    this.params = policyParams(config);
    const ids = new Set(this.modules.map((m) => m.id));
    const byStep = [...config.events].sort((a, b) => a.step - b.step);
    this.replay = byStep.filter((e): e is ParamEvent => e.name !== 'override');
    const overrides = byStep.filter((e): e is OverrideEvent => e.name === 'override');
    this.replayOverrides = overrides.filter((e) => ids.has(e.module));
    this.ignoredEvents = overrides.filter((e) => !ids.has(e.module));
    this.optimizer = new FusedAdam({ lr: config.lr, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 });
    this.decisions = this.modules.map(() => ({ updating: true, reason: 'warmup' as const }));
    this.applyDecisions();
    this.vanillaStepFlops = this.task.stepFlops(this.modules.map(() => true));
    this.flopsPerVanillaStep = this.vanillaStepFlops.total;
    if (config.kernel === 'step' && !(this.task.stepKernels && this.task.stepEvaluationFlops)) {
      this.task.dispose();
      throw new Error(`The step kernel is not available for ${config.model}.`);
    }
    // A 'step' evaluation costs more when its decision freezes modules (see `advance`); this is
    // its cost with every module updated.
    this.flopsPerEvaluation =
      config.kernel === 'step'
        ? this.task.stepEvaluationFlops!(this.modules.map(() => true))
        : this.task.evaluationFlops();
  }

  /**
   * Everything the run needs to go on exactly from here (docs/checkpoints.md), as copies: the
   * weights, Adam's moments and steps, the data order (the batch stream's position), the
   * policy's λmax history, decisions, overrides, pending slider moves and change log, the events
   * still to replay and the FLOPs spent. Take it between two steps (not inside `advance`).
   */
  async checkpoint(): Promise<SessionCheckpoint> {
    const vars = this.model.allVariables();
    const weights = [];
    for (const v of vars) {
      // A copy: the cpu backend's `data()` is its own buffer, and checkpoints are transferred.
      const values = Float32Array.from((await v.data()) as Float32Array);
      weights.push({ name: this.task.exportName(v.name), shape: v.shape.slice(), values });
    }
    return {
      ...this.controlState(),
      weights,
      adam: await this.optimizer.exportSlots(vars),
      history: this.history.map(checkpointEvaluation),
      decisionLog: this.decisionLog.map(copyLogEntry),
      events: this.events.map((e) => ({ ...e })),
    };
  }

  /**
   * What a checkpoint holds besides the weights, Adam's moments and the logs, as copies: the
   * step, the data order, the live parameters, the decisions, overrides and pending moves, the
   * events still to replay and the FLOPs spent (`checkpoint()` and `deviceCheckpoint()`).
   */
  private controlState() {
    return {
      step: this.step,
      rng: { batches: this.batchRng.save() },
      params: { ...this.params },
      decisions: copyDecisions(this.decisions),
      previous: this.prevDecisions ? copyDecisions(this.prevDecisions) : null,
      lastEvalStep: this.lastEvalStep,
      pending: this.pending.map((p) => ({ ...p })),
      overrides: [...this.overrides],
      replay: {
        params: this.replay.map((e) => ({ ...e })),
        overrides: this.replayOverrides.map((e) => ({ ...e })),
      },
      flops: { run: { ...this.spent.run }, vanilla: { ...this.spent.vanilla } },
    };
  }

  /**
   * `checkpoint()` without a readback (the worker's checkpoint ring, forks): the weights and
   * Adam's moments as device copies (`tf.clone` shares the buffer; a step replaces a variable's
   * buffer, never writes into it) and the rest as it is now (the history, decision log and change
   * log only grow, so their entries are kept by reference and copied on `read`). `read()` gives
   * what `checkpoint()` gave here; `dispose()` frees the copies. Take it between two steps.
   */
  deviceCheckpoint(): DeviceCheckpoint {
    const vars = this.model.allVariables();
    const names = vars.map((v) => v.name);
    const weights = vars.map((v) => ({
      name: this.task.exportName(v.name),
      shape: v.shape.slice(),
      tensor: tf.clone(v),
    }));
    const adam = this.optimizer.snapshot();
    const history = this.history.slice();
    const decisionLog = this.decisionLog.map((e) => ({ step: e.step, decisions: e.decisions }));
    const events = this.events.slice();
    const rest = this.controlState();
    return {
      step: this.step,
      bytes: weights.reduce((a, w) => a + w.tensor.size * 4, 0) + adam.bytes(),
      read: async (): Promise<SessionCheckpoint> => {
        const values = await Promise.all(weights.map((w) => w.tensor.data()));
        return {
          ...rest,
          weights: weights.map((w, i) => ({
            name: w.name,
            shape: w.shape.slice(),
            values: Float32Array.from(values[i] as Float32Array),
          })),
          adam: await adam.read(names),
          history: history.map(checkpointEvaluation),
          decisionLog: decisionLog.map(copyLogEntry),
          events: events.map((e) => ({ ...e })),
        };
      },
      dispose: () => {
        for (const w of weights) w.tensor.dispose();
        adam.dispose();
      },
    };
  }

  /**
   * A Session for `config` (the experiment the checkpointed run was started with) on `data`,
   * put where `c` was taken: its next `advance` does what the run's would have done, bit for bit
   * on the same backend (see the checkpoint tests). Throws a `CheckpointError` naming the field
   * when `c` does not fit the model `config` builds.
   */
  static restore(
    config: ExperimentConfig,
    data: Corpus | TaskData | null,
    c: SessionCheckpoint,
  ): Session {
    const s = new Session(config, data);
    try {
      s.load(c);
    } catch (e) {
      s.dispose();
      throw e;
    }
    return s;
  }

  private load(c: SessionCheckpoint): void {
    const bad = (field: string, why: string) =>
      new CheckpointError(`checkpoint.session.${field}: ${why}`);
    if (!Number.isInteger(c.step) || c.step < 0) throw bad('step', 'not a step count.');
    const vars = this.model.allVariables();
    if (c.weights.length !== vars.length)
      throw bad('weights', `${c.weights.length} variables, the model has ${vars.length}.`);
    vars.forEach((v, i) => {
      const w = c.weights[i]!;
      const name = this.task.exportName(v.name);
      if (w.name !== name) throw bad(`weights.${i}.name`, `${w.name}, the model's is ${name}.`);
      if (w.shape.join(',') !== v.shape.join(',') || w.values.length !== v.size)
        throw bad(
          `weights.${i}.shape`,
          `[${w.shape.join(', ')}], ${name} is [${v.shape.join(', ')}].`,
        );
    });
    const M = this.modules.length;
    const n = this.task.probeSize;
    const decisionsFit = (d: readonly Decision[] | null) => d === null || d.length === M;
    if (!decisionsFit(c.decisions)) throw bad('decisions', `not one per module (${M}).`);
    if (!decisionsFit(c.previous)) throw bad('previous', `not one per module (${M}).`);
    c.decisionLog.forEach((e, i) => {
      if (!decisionsFit(e.decisions)) throw bad(`decisionLog.${i}`, `not one per module (${M}).`);
    });
    c.history.forEach((e, i) => {
      if (e.lambdaMax.length !== M || e.effRank.length !== M || e.spectra.length !== M * n)
        throw bad(`history.${i}`, `not one λmax, rank and ${n} eigenvalues per module (${M}).`);
    });
    for (const [id] of c.overrides) {
      if (!this.modules.some((m) => m.id === id)) throw bad('overrides', `no module ${id}.`);
    }
    this.optimizer.importSlots(vars, c.adam);
    vars.forEach((v, i) => {
      const w = c.weights[i]!;
      tf.tidy(() => v.assign(tf.tensor(w.values, v.shape)));
    });
    this.batchRng.restore(c.rng.batches);
    this.step = c.step;
    this.params = { ...c.params };
    this.decisions = c.decisions.map((d) => ({ ...d }));
    this.prevDecisions = c.previous ? c.previous.map((d) => ({ ...d })) : null;
    this.lastEvalStep = c.lastEvalStep;
    this.pending = c.pending.map((p) => ({ ...p }));
    this.overrides.clear();
    for (const [id, mode] of c.overrides) this.overrides.set(id, mode);
    this.history.length = 0;
    for (const e of c.history) {
      this.history.push({
        step: e.step,
        lambdaMax: e.lambdaMax.slice(),
        spectra: e.spectra.slice(),
        effRank: e.effRank.slice(),
        ...(e.stdErr ? { stdErr: e.stdErr.slice() } : {}),
        ms: e.ms,
      } as Evaluation);
    }
    this.decisionLog.length = 0;
    for (const e of c.decisionLog)
      this.decisionLog.push({ step: e.step, decisions: e.decisions.map((d) => ({ ...d })) });
    this.events.length = 0;
    this.events.push(...c.events.map((e) => ({ ...e })));
    this.replay = c.replay.params.map((e) => ({ ...e }));
    this.replayOverrides = c.replay.overrides.map((e) => ({ ...e }));
    Object.assign(this.spent.run, c.flops.run);
    Object.assign(this.spent.vanilla, c.flops.vanilla);
    // After the weights: a frozen group's cached weights are taken from the variables here.
    this.applyDecisions();
  }

  /** The run's and vanilla's cumulative FLOPs by part so far (a copy). */
  flopSplits(): FlopSplits {
    return { step: this.step, run: { ...this.spent.run }, vanilla: { ...this.spent.vanilla } };
  }

  /** Charged FLOPs of one training step under the current decisions, by part. */
  private stepFlops(): StepFlops {
    const key = this.decisions.map((d) => (d.updating ? 1 : 0)).join('');
    let f = this.stepFlopsCache.get(key);
    if (f === undefined) {
      f = this.task.stepFlops(this.decisions.map((d) => d.updating));
      this.stepFlopsCache.set(key, f);
    }
    return f;
  }

  private applyDecisions(): void {
    this.model.setGroups(this.decisions.map((d) => d.updating));
    this.optimizer.setActive(this.activeVariables());
  }

  /** The policy's decisions, then the manual overrides over them (the one place they apply). */
  private decide(): void {
    const input = {
      step: this.step,
      modules: this.modules,
      history: this.history,
      previous: this.prevDecisions,
      params: this.params,
      // A stream per step: re-deciding at the same step (a paused slider move) draws the same.
      rng: this.policyRng.fork(`decide@${this.step}`),
    };
    this.decisions = decideWithOverrides(this.policy, input, this.overrides);
    const last = this.decisionLog[this.decisionLog.length - 1];
    if (last && last.step === this.step) last.decisions = this.decisions;
    else this.decisionLog.push({ step: this.step, decisions: this.decisions });
    this.applyDecisions();
  }

  private setLive(name: LiveParam, value: number): LoggedParamEvent | null {
    const from = this.params[name];
    if (from === value) return null;
    this.params = { ...this.params, [name]: value };
    const ev = { step: this.step, name, from, to: value };
    this.events.push(ev);
    return ev;
  }

  /**
   * A slider move. While running it waits for the next evaluation; while paused it applies
   * at once and re-decides, unless an evaluation is due at this very step (then it waits
   * for it, which is the same point of the run). Either way the logged step is where it
   * took effect, so a replay applies it identically.
   */
  setParam(
    name: LiveParam,
    value: number,
    paused: boolean,
  ): { event: LoggedEvent | null; decisions: Decision[] | null } {
    this.checkLogRoom();
    const evalDue = this.evaluationDue();
    if (!paused || evalDue) {
      this.pending = this.pending.filter((p) => p.name !== name);
      this.pending.push({ name, value });
      return { event: null, decisions: null };
    }
    const event = this.setLive(name, value);
    if (!event || this.history.length === 0) return { event, decisions: null };
    this.decide();
    return { event, decisions: this.decisions };
  }

  /**
   * Forces a module on or off, or gives it back to the policy (`null`); takes effect at once,
   * before the step `this.step` trains (and before the evaluation due then), and is logged at
   * that step, which is where a replay applies it (`advance`). Nothing is logged when the module
   * is unknown or already in that state.
   */
  override(
    id: string,
    mode: ManualOverride | null,
  ): { event: LoggedOverrideEvent | null; decisions: Decision[] } {
    this.checkLogRoom();
    const from: OverrideMode = this.overrides.get(id) ?? 'auto';
    const to: OverrideMode = mode ?? 'auto';
    if (from === to || !this.modules.some((m) => m.id === id)) {
      return { event: null, decisions: this.decisions };
    }
    if (mode === null) this.overrides.delete(id);
    else this.overrides.set(id, mode);
    if (this.history.length > 0 || mode !== null) this.decide();
    const event: LoggedOverrideEvent = { step: this.step, name: 'override', module: id, from, to };
    this.events.push(event);
    return { event, decisions: this.decisions };
  }

  /** Refuses a change when the log (with the changes still to apply) is full. */
  private checkLogRoom(): void {
    const ahead = this.pending.length + this.replay.length + this.replayOverrides.length;
    if (this.events.length + ahead >= MAX_LOGGED_EVENTS) {
      throw new RangeError(
        `The run has logged ${MAX_LOGGED_EVENTS.toLocaleString('en')} changes, as many as a run file holds; export it, or reset to change more.`,
      );
    }
  }

  /**
   * Every module's kernel spectrum at the current weights, on the fixed probe (with the 'step'
   * kernel: its loss kernel there, as at export; scheduled evaluations use `advance`'s batch).
   */
  async evaluate(): Promise<Evaluation & { ms: number }> {
    const t0 = now();
    const input = this.task.spectrumInput
      ? await this.task.spectrumInput()
      : kernelInput(await this.task.kernels(), this.task.probeSize);
    return this.evaluation(input, t0);
  }

  /** Whether the next `advance` starts with a scheduled evaluation. */
  evaluationDue(): boolean {
    return this.step % this.config.K === 0 && this.lastEvalStep !== this.step;
  }

  private evaluation(input: SpectrumInput, t0: number): Evaluation & { ms: number } {
    // The divergence guard's last line: no eigen-decomposition of NaN (it would throw deep
    // inside, or give junk); the run stops here, at a step it can be exported from.
    if (!allFinite(input.data)) {
      throw new DivergenceError(
        this.step,
        `The mNTK kernels at step ${this.step} hold NaN or infinite values: the weights diverged`,
      );
    }
    const s = moduleSpectra(input, this.task.probeSize);
    return { step: this.step, ...s, ms: now() - t0 };
  }

  /** One training step, preceded by an evaluation when one is due (every K steps). */
  async advance(): Promise<StepResult> {
    const t = this.step;
    let evaluation: StepResult['evaluation'] = null;
    let redecide = false;
    const events: LoggedEvent[] = [];
    let kernel = 0;
    // The 'step' kernel: this step's own forward and backward, its update held until the decision.
    let stepped: { batch: TaskBatch; probe: StepProbe } | null = null;
    let overrideDecisions: Decision[] | null = null;
    // Replayed overrides first: live, an override at step t took effect before step t's
    // evaluation (between steps, whether running or paused).
    while (this.replayOverrides.length > 0 && this.replayOverrides[0]!.step <= t) {
      const e = this.replayOverrides.shift()!;
      if (e.step < t) continue;
      const { event, decisions } = this.override(e.module, e.mode === 'auto' ? null : e.mode);
      if (event) {
        events.push(event);
        redecide = true;
        overrideDecisions = decisions;
      }
    }
    if (this.evaluationDue()) {
      if (this.config.kernel === 'step') {
        // ms: the step's forward and backward with the kernel, not just the kernel.
        const t0 = now();
        const batch = this.task.sampleBatch(this.batchRng);
        const probe = await this.task.stepKernels!(batch);
        stepped = { batch, probe };
        try {
          evaluation = this.evaluation(probe.spectrum, t0);
        } catch (e) {
          probe.dispose();
          for (const x of batch.tensors) x.dispose();
          throw e;
        }
      } else {
        evaluation = await this.evaluate();
        if (this.policy.needsKernel) kernel = this.flopsPerEvaluation;
      }
      this.history.push(evaluation);
      this.lastEvalStep = t;
      for (const p of this.pending) {
        const ev = this.setLive(p.name, p.value);
        if (ev) events.push(ev);
      }
      this.pending = [];
      this.prevDecisions = this.decisions;
      redecide = true;
    }
    while (this.replay.length > 0 && this.replay[0]!.step <= t) {
      const e = this.replay.shift()!;
      if (e.step < t) continue;
      const ev = this.setLive(e.name, e.value);
      if (ev) events.push(ev);
      redecide = true;
    }
    if (redecide && this.history.length > 0) this.decide();
    const charged = this.stepFlops();
    if (stepped && this.policy.needsKernel) {
      kernel = this.task.stepEvaluationFlops!(this.decisions.map((d) => d.updating));
    }
    const loss = stepped ? this.applyStep(stepped.batch, stepped.probe) : this.trainStep();
    this.step = t + 1;
    addStepFlops(this.spent.run, charged, kernel);
    addStepFlops(this.spent.vanilla, this.vanillaStepFlops);
    return {
      step: this.step,
      loss,
      evaluation,
      decisions: redecide ? this.decisions : null,
      overrideDecisions,
      events,
      flops: kernel + charged.total,
      vanillaFlops: this.flopsPerVanillaStep,
      totalFlops: splitTotal(this.spent.run),
      totalVanillaFlops: splitTotal(this.spent.vanilla),
    };
  }

  private trainStep(): tf.Scalar {
    const batch = this.task.sampleBatch(this.batchRng);
    const vars = this.activeVariables();
    const loss = tf.tidy(() => {
      const { value, grads } = tf.variableGrads(() => this.task.loss(batch), vars);
      this.optimizer.apply(vars.map((v) => grads[v.name]!));
      return value;
    });
    for (const t of batch.tensors) t.dispose();
    return loss;
  }

  /** Finishes a step begun by the 'step' kernel: the update of the modules now updated. */
  private applyStep(batch: TaskBatch, probe: StepProbe): tf.Scalar {
    try {
      const vars = this.activeVariables();
      tf.tidy(() => this.optimizer.apply(probe.gradients(vars)));
      return probe.loss;
    } finally {
      probe.dispose();
      for (const t of batch.tensors) t.dispose();
    }
  }

  private activeVariables(): tf.Variable[] {
    return trainedVariables(
      this.model,
      this.decisions.map((d) => d.updating),
    );
  }

  /** The task's validation metric (perplexity for MLM) over its fixed validation set. */
  validate(): Promise<number> {
    return this.task.validate();
  }

  async exportRun(
    backend: RunFile['backend'],
    metrics: RunFile['metrics'],
    validation: RunFile['validation'],
  ): Promise<RunFile> {
    const weights: SavedTensor[] = [];
    for (const v of this.model.allVariables()) {
      weights.push({
        name: this.task.exportName(v.name),
        shape: v.shape.slice(),
        values: Array.from(await v.data()),
      });
    }
    const decisionAt = (step: number) => {
      let d = this.decisionLog[0]?.decisions ?? this.decisions;
      for (const e of this.decisionLog) if (e.step <= step) d = e.decisions;
      return d;
    };
    const n = this.task.probeSize;
    const kernels = (e: Evaluation) => ({
      step: e.step,
      lambdaMax: Array.from(e.lambdaMax),
      spectra: this.modules.map((_, m) => Array.from(e.spectra.subarray(m * n, (m + 1) * n))),
      effRank: Array.from(e.effRank),
      ...(e.stdErr ? { stdErr: Array.from(e.stdErr) } : {}),
    });
    // The kernels at exactly the exported weights (docs/run-format.md, "Which weights each
    // evaluation used"). A scheduled evaluation runs at the start of a step, so the newest one is
    // at least one step older than `weights`. This one is computed here and only written to the
    // file: not pushed into `history` (the policy never sees it, and MAT's look-back w counts the
    // scheduled evaluations only), no decision taken, no FLOPs charged, no rng drawn (the probe
    // and its projections are fixed), and no weight, optimizer state or grouping touched (the
    // Switch task's router-load view takes this evaluation's load, as after any evaluation).
    const newest = this.history[this.history.length - 1];
    // (A 'step' evaluation is on a training batch, which the file does not hold.)
    const atExport =
      newest?.step === this.step && this.config.kernel !== 'step'
        ? newest
        : await this.evaluate().catch((e: unknown) => {
            // Diverged weights: the file says so with NaN kernels (written as null).
            if (!(e instanceof DivergenceError)) throw e;
            const M = this.modules.length;
            return {
              step: this.step,
              lambdaMax: new Float64Array(M).fill(NaN),
              spectra: new Float64Array(M * n).fill(NaN),
              effRank: new Float64Array(M).fill(NaN),
            };
          });
    return {
      format: RUN_FORMAT,
      version: RUN_FORMAT_VERSION,
      createdAt: new Date().toISOString(),
      config: {
        ...this.config,
        events: this.events.map(runEventOf),
      },
      backend,
      modules: this.modules,
      events: this.events.slice(),
      metrics,
      validation,
      metric: this.task.metric,
      flops: { perVanillaStep: this.flopsPerVanillaStep, perEvaluation: this.flopsPerEvaluation },
      probeOutputs: this.task.probeInfo,
      evaluations: this.history.map((e) => {
        const d = decisionAt(e.step);
        return {
          ...kernels(e),
          updating: d.map((x) => x.updating),
          reasons: d.map((x) => x.reason),
        };
      }),
      exportEvaluation: kernels(atExport),
      probe: this.task.exportProbe(),
      weights,
      step: this.step,
    };
  }

  dispose(): void {
    this.optimizer.dispose();
    this.task.dispose();
  }
}
