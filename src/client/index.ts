import { InThreadTrainer } from './in-thread-trainer';
import type { Trainer } from './trainer';
import { WorkerTrainer } from './worker-trainer';
import { browserDeps } from '../worker/browser-deps';

export type { Trainer } from './trainer';

/**
 * A worker-backed trainer, or the in-thread one when workers are unavailable or `?worker=0`
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
  return new InThreadTrainer(browserDeps);
}
