/** Run/status slice: what the trainer runs, where, and how far it got. */
import type { RunCheckpoint } from '../core/checkpoint';
import type { ExperimentConfig, LiveParam } from '../core/config';
import { FAMILIES } from '../core/families/descriptors';
import type { MetricInfo, ModelView } from '../core/families/types';
import type { LoggedEvent } from '../core/session';
import type { ModuleInfo } from '../core/types';
import type { BusyInfo, FromWorker, LoadProgress } from '../protocol/messages';

export type { LoggedEvent } from '../core/session';

/** The backend a run used, as shown on the badge (live runs: the `ready` message; imports: the file). */
export interface BackendView {
  /** `tf.getBackend()`: webgpu, webgl, wasm or cpu. */
  backend: string;
  /** What the config asked for (`auto`, …); null when not recorded (imported runs). */
  requested: string | null;
  /** Adapter vendor · architecture, '' when not WebGPU. */
  adapter: string;
  /** True when the WebGPU adapter is a software fallback (e.g. SwiftShader). */
  isFallbackAdapter: boolean;
  /** Why the requested backend could not be used, as a sentence; null when it was. */
  fallbackReason: string | null;
  /** Whether the lab's fused WebGPU kernels run; absent when not said (imported runs). */
  fused?: boolean | undefined;
}

export interface ProbeOutputs {
  /** Outputs k of f(x) per probe sample. */
  k: number;
  /** Output projections R used for the trace (k itself when exact). */
  projections: number;
  /** Whether the kernel is the exact trace over all k outputs. */
  exact: boolean;
}

export interface RunState {
  /** `starting`: init sent, no `ready` yet; `ready`: a run exists; `failed`: a fatal error stopped it. */
  phase: 'starting' | 'ready' | 'failed';
  running: boolean;
  /** Completed training steps. */
  step: number;
  backend: BackendView | null;
  modules: ModuleInfo[];
  /** Analytic FLOPs of one vanilla step; null when unknown. */
  flopsPerVanillaStep: number | null;
  /** Analytic FLOPs charged per mNTK evaluation (0 when the policy does not need λmax); null when unknown. */
  flopsPerEvaluation: number | null;
  /** Analytic FLOPs of one mNTK evaluation as run, charged or not; null when unknown. */
  evaluationFlops: number | null;
  probeOutputs: ProbeOutputs | null;
  /** The experiment this run was started with (α, β are their values at step 0). */
  runConfig: ExperimentConfig;
  /** Live-parameter changes the trainer applied, in order. */
  events: LoggedEvent[];
  /** α and β in force in the trainer. */
  live: Record<LiveParam, number>;
  /**
   * Slider values sent to the trainer and not yet in force (they apply at its next evaluation);
   * an entry goes when the trainer logs that value. The sliders show these, else `live`.
   */
  pendingParams: Partial<Record<LiveParam, number>>;
  /** Measured median wall-clock ms per training step (trainer-side), null until measured. */
  medianStepMs: number | null;
  /** What `validation` values are (perplexity: lower is better; accuracy: higher is better). */
  metric: MetricInfo;
  /** The latest model-specific view (decision boundary, confusion matrix, router load). */
  modelView: { step: number; view: ModelView } | null;
  /** A data download in progress before `ready` (the full Fashion-MNIST set), else null. */
  loading: LoadProgress | null;
  /** A step running for more than a second (the trainer's `busy`), until the next status. */
  busy: BusyInfo | null;
  /**
   * The trainer's answer to the last Pause (null again once it trains): the steps completed when
   * the worker received the pause and those completed where training stopped (the `status`
   * with `pauseReceivedAt`). What the end-to-end tests check Pause against.
   */
  lastPause: { received: number; stopped: number } | null;
  /**
   * Steps of the evaluations a fork can start from (issue 11): the worker's checkpoint ring for
   * the live run (`checkpoints` messages), the file's `checkpoints` for an imported run.
   */
  checkpointSteps: number[];
  /** An imported run file's checkpoints (decoded, oldest first); null for the live run. */
  fileCheckpoints: RunCheckpoint[] | null;
}

export function initialRunState(config: ExperimentConfig): RunState {
  return {
    phase: 'starting',
    running: false,
    step: 0,
    backend: null,
    modules: [],
    flopsPerVanillaStep: null,
    flopsPerEvaluation: null,
    evaluationFlops: null,
    probeOutputs: null,
    runConfig: config,
    events: [],
    live: { alpha: config.alpha, beta: config.beta },
    pendingParams: {},
    medianStepMs: null,
    // The family's metric, for runs whose `ready` message is not at hand.
    metric: FAMILIES[config.model].metric,
    modelView: null,
    loading: null,
    busy: null,
    lastPause: null,
    checkpointSteps: [],
    fileCheckpoints: null,
  };
}

/** The value a live parameter's slider shows: the one sent and still pending, else the one in force. */
export function shownParam(s: Pick<RunState, 'live' | 'pendingParams'>, name: LiveParam): number {
  return s.pendingParams[name] ?? s.live[name];
}

/** The run slice's part of handling one trainer message (null: nothing changes). */
export function reduceRun(s: RunState, msg: FromWorker): Partial<RunState> | null {
  switch (msg.type) {
    case 'ready':
      return {
        ...initialRunState(msg.config),
        phase: 'ready',
        backend: { ...msg.backend },
        modules: msg.modules,
        flopsPerVanillaStep: msg.flopsPerVanillaStep,
        flopsPerEvaluation: msg.flopsPerEvaluation,
        evaluationFlops: msg.evaluationFlops,
        probeOutputs: { ...msg.probeOutputs },
        metric: { ...msg.metric },
      };
    case 'status':
      // The trainer posts a status only between steps: a long step has ended.
      return {
        running: msg.running,
        step: Math.max(s.step, msg.step),
        busy: null,
        lastPause:
          msg.pauseReceivedAt !== undefined
            ? { received: msg.pauseReceivedAt, stopped: msg.step }
            : msg.running
              ? null
              : s.lastPause,
      };
    case 'busy':
      return { busy: { ...msg.busy } };
    case 'metrics': {
      const last = msg.batch.steps[msg.batch.steps.length - 1];
      return {
        step: last === undefined ? s.step : Math.max(s.step, last),
        medianStepMs: msg.medianStepMs ?? s.medianStepMs,
        busy: null,
      };
    }
    case 'event': {
      const e = msg.event;
      if (e.name === 'override') return { events: [...s.events, e] };
      const pending = { ...s.pendingParams };
      if (pending[e.name] === e.to) delete pending[e.name];
      return {
        events: [...s.events, e],
        live: { ...s.live, [e.name]: e.to },
        pendingParams: pending,
      };
    }
    case 'error':
      return msg.fatal ? { phase: 'failed', running: false, loading: null, busy: null } : null;
    case 'view':
      return { modelView: { step: msg.step, view: msg.view } };
    case 'loading':
      return s.phase === 'starting' ? { loading: { ...msg.progress } } : null;
    case 'checkpoints':
      return { checkpointSteps: msg.steps.slice() };
    case 'validation':
    case 'evaluation':
    case 'decisions':
    case 'exported':
    case 'checkpoint':
      return null;
  }
}
