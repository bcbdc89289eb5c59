import type { ExperimentConfig, LiveParam } from '../core/config';
import type { RunFile } from '../core/runfile';
import type { ManualOverride } from '../core/types';
import type { FromWorker, ToWorker } from '../protocol/messages';
import { PROTOCOL_VERSION } from '../protocol/messages';
import { TrainerEvents } from './emitter';
import type { Trainer } from './trainer';

/** Training in a dedicated module worker; a crash is reported as a fatal `worker-crashed` error. */
export class WorkerTrainer implements Trainer {
  readonly where = 'worker' as const;
  private worker: Worker;
  private readonly events = new TrainerEvents();

  constructor() {
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
      const detail = typeof e.message === 'string' && e.message && !e.message.includes('[object') ? e.message : 'no details were given';
      this.events.emit({
        type: 'error',
        code: 'worker-crashed',
        message: `The run stopped (${detail}). Reset to start a new worker; nothing you configured is lost.`,
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

  private crashed = false;

  private send(msg: ToWorker): void {
    this.worker.postMessage(msg);
  }

  init(config: ExperimentConfig): void {
    if (this.crashed) {
      this.worker = this.spawn();
      this.crashed = false;
    }
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
  subscribe(listener: (msg: FromWorker) => void): () => void {
    return this.events.subscribe(listener);
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
