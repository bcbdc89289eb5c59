import type { ExperimentConfig, LiveParam } from '../core/config';
import type { RunFile } from '../core/runfile';
import type { ManualOverride } from '../core/types';
import type { ToWorker } from '../protocol/messages';
import { PROTOCOL_VERSION } from '../protocol/messages';
import type { HandlerDeps } from '../worker/handler';
import { createHandler } from '../worker/handler';
import { TrainerEvents } from './emitter';
import type { Trainer } from './trainer';

/**
 * Training on the calling thread through the very same handler the worker runs: the fallback
 * when a worker cannot start, and what Node tests drive. Messages are delivered asynchronously
 * so callers see the same ordering as with a worker.
 */
export class InThreadTrainer implements Trainer {
  readonly where = 'in-thread' as const;
  private readonly events = new TrainerEvents();
  private readonly handle: (msg: ToWorker) => Promise<void>;

  constructor(deps: HandlerDeps) {
    this.handle = createHandler((msg) => queueMicrotask(() => this.events.emit(msg)), deps);
  }

  private send(msg: ToWorker): void {
    void this.handle(msg);
  }

  init(config: ExperimentConfig): void {
    this.send({ type: 'init', version: PROTOCOL_VERSION, config });
  }
  play(): void {
    this.send({ type: 'play' });
  }
  pause(): void {
    this.send({ type: 'pause' });
  }
  step(count: number): void {
    this.send({ type: 'step', count });
  }
  setParam(name: LiveParam, value: number): void {
    this.send({ type: 'setParam', name, value });
  }
  override(id: string, mode: ManualOverride | null): void {
    this.send({ type: 'override', id, mode });
  }
  exportRun(): Promise<RunFile> {
    const { id, done } = this.events.requestExport();
    this.send({ type: 'export', requestId: id });
    return done;
  }
  subscribe(listener: Parameters<Trainer['subscribe']>[0]): () => void {
    return this.events.subscribe(listener);
  }
  dispose(): void {
    this.send({ type: 'dispose' });
    this.events.clear();
  }
}
