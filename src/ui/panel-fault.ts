/**
 * Panels made to fail on their next render, for testing the error boundaries end to end: the lab
 * hook's `breakPanel` (dev and test builds only) adds a name; Reset in the panel's fallback takes
 * it out. Empty, and never read with effect, in production.
 */
import { useSyncExternalStore } from 'react';

const broken = new Set<string>();
const listeners = new Set<() => void>();

function notify(): void {
  for (const l of listeners) l();
}

/** Makes the panel `name` throw on its next render. */
export function breakPanel(name: string): void {
  broken.add(name);
  notify();
}

/** Lets the panel `name` render again. */
export function mendPanel(name: string): void {
  if (broken.delete(name)) notify();
}

function subscribe(l: () => void): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

/** Whether the panel `name` is to fail. */
export function usePanelBroken(name: string): boolean {
  return useSyncExternalStore(subscribe, () => broken.has(name));
}
