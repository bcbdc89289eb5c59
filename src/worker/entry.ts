/// <reference lib="webworker" />
import type { ToWorker } from '../protocol/messages';
import { TO_WORKER_TYPES } from '../protocol/messages';
import { browserDeps } from './browser-deps';
import { createHandler } from './handler';
import { installWorkerLabHook } from './test-hook';

const scope = self as unknown as DedicatedWorkerGlobalScope;
installWorkerLabHook(scope);
const handle = createHandler(
  (msg, transfer) => scope.postMessage(msg, transfer ?? []),
  browserDeps,
);
scope.onmessage = (e: MessageEvent<ToWorker>) => {
  // A message outside the protocol is a bug on the other side: fail loudly (the page sees the
  // worker's error event and offers a reset) rather than ignore it.
  const type = (e.data as { type?: unknown } | null)?.type;
  if (typeof type !== 'string' || !TO_WORKER_TYPES.has(type))
    throw new Error(`unknown message ${JSON.stringify(type)}`);
  void handle(e.data);
};
