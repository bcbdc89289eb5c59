import type { ExperimentConfig, LiveParam } from '../core/config';
import type { RunFile } from '../core/runfile';
import type { ManualOverride } from '../core/types';
import type { FromWorker, InitOptions } from '../protocol/messages';

/**
 * Where training runs is invisible to the app: a Web Worker normally, the main thread when a
 * worker cannot start (and in Node tests). Both implementations speak the same protocol.
 */
export interface Trainer {
  /** 'worker' or 'in-thread'. */
  readonly where: 'worker' | 'in-thread';
  /**
   * (Re)initialise with a config: builds data, model and backend (restoring `opts.resume` when
   * given); answers with a `ready` message.
   */
  init(config: ExperimentConfig, opts?: InitOptions): void;
  play(): void;
  pause(): void;
  step(count: number): void;
  setParam(name: LiveParam, value: number): void;
  override(id: string, mode: ManualOverride | null): void;
  /** The run as a run file; with `checkpoints`, the worker's checkpoints at evaluations too. */
  exportRun(opts?: { checkpoints?: boolean }): Promise<RunFile>;
  /** Subscribe to every message from the trainer; returns an unsubscribe function. */
  subscribe(listener: (msg: FromWorker) => void): () => void;
  dispose(): void;
}
