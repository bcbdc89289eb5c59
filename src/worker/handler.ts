import type { BackendEnv } from '../core/backend';
import type { ExperimentConfig } from '../core/config';
import type { Corpus } from '../core/data/corpus';
import type { FashionData } from '../core/data/fashion';
import type { TaskData } from '../core/families';
import type { Session } from '../core/session';
import type { FromWorker, LoadProgress, ToWorker } from '../protocol/messages';
import { assertNever, PROTOCOL_VERSION } from '../protocol/messages';
import { messageOf, TrainingLoop } from './training-loop';

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

/**
 * The trainer behind the protocol: dispatches each message to the training loop, which runs
 * the session and pushes batched metrics. Used unchanged by the worker entry, by the in-thread
 * fallback and by Node tests with a fake `post`.
 */
export function createHandler(post: Post, deps: HandlerDeps): (msg: ToWorker) => Promise<void> {
  const loop = new TrainingLoop(post, deps);

  const handle = async (msg: ToWorker): Promise<void> => {
    switch (msg.type) {
      case 'init':
        if (msg.version !== PROTOCOL_VERSION) {
          const text = `Protocol version ${msg.version} does not match ${PROTOCOL_VERSION}.`;
          loop.fail('config', text, true);
          return;
        }
        return loop.init(msg.config, {
          resume: msg.resume,
          autosaveEvery: msg.autosaveEvery,
          fork: msg.fork,
          fused: msg.fused,
        });
      case 'play':
        return loop.play();
      case 'pause':
        return loop.pause();
      case 'step':
        return loop.step(msg.count);
      case 'setParam':
        return loop.setParam(msg.name, msg.value);
      case 'override':
        return loop.override(msg.id, msg.mode);
      case 'export':
        return loop.exportRun(msg.requestId, msg.checkpoints === true);
      case 'dispose':
        return loop.dispose();
      default:
        assertNever(msg);
    }
  };

  // Every failure becomes a message: nothing is swallowed by a fire-and-forget caller.
  return async (msg: ToWorker) => {
    try {
      await handle(msg);
    } catch (e) {
      loop.fail('internal', `The ${msg.type} request failed: ${messageOf(e)}`, msg.type === 'init');
    }
  };
}
