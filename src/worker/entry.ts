/// <reference lib="webworker" />
import type { ToWorker } from '../protocol/messages';
import { browserDeps } from './browser-deps';
import { createHandler } from './handler';

const scope = self as unknown as DedicatedWorkerGlobalScope;
const handle = createHandler((msg, transfer) => scope.postMessage(msg, transfer ?? []), browserDeps);
scope.onmessage = (e: MessageEvent<ToWorker>) => void handle(e.data);
