import type { ExperimentConfig, LiveParam } from '../core/config';
import type { RunFile } from '../core/runfile';
import type { ManualOverride } from '../core/types';
import type { FromWorker } from '../protocol/messages';
import type { Trainer } from './trainer';
import { WorkerTrainer } from './worker-trainer';

export type { Trainer } from './trainer';

/**
 * The in-thread trainer pulls TF.js into the page; it is loaded on demand so the main bundle
 * stays small when the worker is used. Calls made before it has loaded are replayed in order.
 */
class LazyInThreadTrainer implements Trainer {
  readonly where = 'in-thread' as const;
  private inner: Trainer | null = null;
  private readonly queue: ((t: Trainer) => void)[] = [];
  private readonly listeners = new Set<(msg: FromWorker) => void>();

  constructor() {
    void Promise.all([import('./in-thread-trainer'), import('../worker/browser-deps')]).then(
      ([{ InThreadTrainer }, { browserDeps }]) => {
        const t = new InThreadTrainer(browserDeps);
        t.subscribe((m) => this.listeners.forEach((l) => l(m)));
        this.inner = t;
        for (const call of this.queue.splice(0)) call(t);
      },
    );
  }

  private call(f: (t: Trainer) => void): void {
    if (this.inner) f(this.inner);
    else this.queue.push(f);
  }

  init(config: ExperimentConfig): void {
    this.call((t) => t.init(config));
  }
  play(): void {
    this.call((t) => t.play());
  }
  pause(): void {
    this.call((t) => t.pause());
  }
  step(count: number): void {
    this.call((t) => t.step(count));
  }
  setParam(name: LiveParam, value: number): void {
    this.call((t) => t.setParam(name, value));
  }
  override(id: string, mode: ManualOverride | null): void {
    this.call((t) => t.override(id, mode));
  }
  exportRun(): Promise<RunFile> {
    return new Promise((resolve, reject) => this.call((t) => t.exportRun().then(resolve, reject)));
  }
  subscribe(listener: (msg: FromWorker) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  dispose(): void {
    this.call((t) => t.dispose());
    this.listeners.clear();
  }
}

/**
 * A worker-backed trainer, or the in-thread one when workers are unavailable or the caller
 * asks for it (the page then says training runs on the main thread).
 */
export function createTrainer(opts: { preferWorker?: boolean } = {}): Trainer {
  if (opts.preferWorker !== false && typeof Worker !== 'undefined') {
    try {
      return new WorkerTrainer();
    } catch {
      // Fall through: some contexts (file://, strict CSP) refuse module workers.
    }
  }
  return new LazyInThreadTrainer();
}
