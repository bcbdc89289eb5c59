import type { FromWorker } from '../protocol/messages';
import type { RunFile } from '../core/runfile';

/** Listener set plus export-request bookkeeping shared by both Trainer implementations. */
export class TrainerEvents {
  private readonly listeners = new Set<(msg: FromWorker) => void>();
  private readonly exports = new Map<number, (run: RunFile) => void>();
  private nextRequest = 1;

  subscribe(listener: (msg: FromWorker) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  emit(msg: FromWorker): void {
    if (msg.type === 'exported') {
      this.exports.get(msg.requestId)?.(msg.run);
      this.exports.delete(msg.requestId);
    }
    for (const l of this.listeners) l(msg);
  }

  /** A new export request id and the promise its answer resolves. */
  requestExport(): { id: number; done: Promise<RunFile> } {
    const id = this.nextRequest++;
    const done = new Promise<RunFile>((resolve) => this.exports.set(id, resolve));
    return { id, done };
  }

  clear(): void {
    this.listeners.clear();
    this.exports.clear();
  }
}
