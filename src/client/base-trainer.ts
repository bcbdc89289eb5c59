import type { ExperimentConfig, LiveParam } from '../core/config';
import type { RunFile } from '../core/runfile';
import type { ManualOverride } from '../core/types';
import type { FromWorker, InitOptions, ToWorker } from '../protocol/messages';
import { PROTOCOL_VERSION } from '../protocol/messages';
import { TrainerEvents } from './emitter';
import type { Trainer } from './trainer';

/**
 * The `Trainer` methods as protocol messages, written once: a transport says only how a
 * message reaches the handler (`send`), feeds its answers to `events`, and how it ends.
 */
export abstract class BaseTrainer implements Trainer {
  abstract readonly where: Trainer['where'];
  protected readonly events = new TrainerEvents();

  protected abstract send(msg: ToWorker): void;
  abstract dispose(): void;

  init(config: ExperimentConfig, opts: InitOptions = {}): void {
    this.send({ type: 'init', version: PROTOCOL_VERSION, config, ...opts });
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
  exportRun(opts: { checkpoints?: boolean } = {}): Promise<RunFile> {
    const { id, done } = this.events.requestExport();
    this.send({
      type: 'export',
      requestId: id,
      ...(opts.checkpoints ? { checkpoints: true } : {}),
    });
    return done;
  }
  subscribe(listener: (msg: FromWorker) => void): () => void {
    return this.events.subscribe(listener);
  }
}
