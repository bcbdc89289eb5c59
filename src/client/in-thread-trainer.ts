import type { ToWorker } from '../protocol/messages';
import type { Post } from '../worker/handler';
import { BaseTrainer } from './base-trainer';

type Handle = (msg: ToWorker) => Promise<void>;

/**
 * Builds the handler around a `post`: `createHandler` with the host's deps, loaded first when
 * the page keeps TF.js out of its main bundle (then the factory is async).
 */
export type HandlerFactory = (post: Post) => Handle | Promise<Handle>;

/**
 * Training on the calling thread through the very same handler the worker runs: the fallback
 * when a worker cannot start, and what Node tests can drive. Messages are delivered
 * asynchronously so callers see the same ordering as with a worker; messages sent while an
 * async factory loads are handled in order once it has.
 */
export class InThreadTrainer extends BaseTrainer {
  readonly where = 'in-thread' as const;
  private handle: Handle | null = null;
  private readonly queue: ToWorker[] = [];

  constructor(factory: HandlerFactory) {
    super();
    const made = factory((msg) => queueMicrotask(() => this.events.emit(msg)));
    if (made instanceof Promise) {
      void made.then((handle) => {
        this.handle = handle;
        for (const msg of this.queue.splice(0)) void handle(msg);
      });
    } else this.handle = made;
  }

  protected send(msg: ToWorker): void {
    if (this.handle) void this.handle(msg);
    else this.queue.push(msg);
  }

  dispose(): void {
    this.send({ type: 'dispose' });
    this.events.clear();
  }
}
