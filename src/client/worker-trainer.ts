import type { ExperimentConfig } from '../core/config';
import type { FromWorker, InitOptions, ToWorker } from '../protocol/messages';
import { BaseTrainer } from './base-trainer';

/** Training in a dedicated module worker; a crash is reported as a fatal `worker-crashed` error. */
export class WorkerTrainer extends BaseTrainer {
  readonly where = 'worker' as const;
  private worker: Worker;
  private crashed = false;

  constructor() {
    super();
    this.worker = this.spawn();
  }

  private spawn(): Worker {
    const w = new Worker(new URL('../worker/entry.ts', import.meta.url), {
      type: 'module',
      name: 'mat-lab-trainer',
    });
    w.onmessage = (e: MessageEvent<FromWorker>) => this.events.emit(e.data);
    w.onerror = (e: ErrorEvent) => {
      e.preventDefault();
      // One crash can raise several error events (nested WASM threads too): report it once.
      if (this.crashed || w !== this.worker) return;
      this.crashed = true;
      const detail =
        typeof e.message === 'string' && e.message && !e.message.includes('[object')
          ? e.message
          : 'no details were given';
      this.events.emit({
        type: 'error',
        code: 'worker-crashed',
        message: `The run stopped (${detail}). Resume it from its last save (offered above when there is one) or Reset to start anew, in a new worker; nothing you configured is lost.`,
        fatal: true,
      });
      w.terminate();
    };
    w.onmessageerror = () =>
      this.events.emit({
        type: 'error',
        code: 'internal',
        message: 'A message from the worker could not be read.',
        fatal: false,
      });
    return w;
  }

  protected send(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }

  /** After a crash, a new worker starts the new run. */
  override init(config: ExperimentConfig, opts?: InitOptions): void {
    if (this.crashed) {
      this.worker = this.spawn();
      this.crashed = false;
    }
    super.init(config, opts);
  }

  /** Test hook: kills the worker the way a crash would. */
  simulateCrash(): void {
    this.worker.dispatchEvent(new ErrorEvent('error', { message: 'simulated crash' }));
  }

  dispose(): void {
    this.worker.terminate();
    this.events.clear();
  }
}
