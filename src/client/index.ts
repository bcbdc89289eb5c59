import { InThreadTrainer } from './in-thread-trainer';
import type { Trainer } from './trainer';
import { WorkerTrainer } from './worker-trainer';

export type { Trainer } from './trainer';

/**
 * A worker-backed trainer, or the in-thread one when workers are unavailable or the caller
 * asks for it (the page then says training runs on the main thread). The in-thread handler
 * pulls TF.js into the page, so it is loaded on demand and the main bundle stays small when
 * the worker is used.
 */
export function createTrainer(opts: { preferWorker?: boolean } = {}): Trainer {
  if (opts.preferWorker !== false && typeof Worker !== 'undefined') {
    try {
      return new WorkerTrainer();
    } catch {
      // Fall through: some contexts (file://, strict CSP) refuse module workers.
    }
  }
  return new InThreadTrainer(async (post) => {
    const [{ createHandler }, { browserDeps }] = await Promise.all([
      import('../worker/handler'),
      import('../worker/browser-deps'),
    ]);
    return createHandler(post, browserDeps);
  });
}
