import { useEffect } from 'react';
import type { DependencyList } from 'react';

/**
 * Runs `draw` (a canvas drawing) after a commit in which `deps` changed, in a task of its own
 * rather than in the commit's: the charts commit together, and their drawing in that one task
 * was what kept the main thread busy past 50 ms while training. A draw not yet run when the next
 * one is due (or when the component unmounts) is dropped. `deps` as for `useEffect`; eslint's
 * exhaustive-deps checks them at each call (`additionalHooks` in eslint.config.js).
 */
export function useDrawAfterCommit(draw: () => void, deps: DependencyList): void {
  useEffect(() => {
    const t = setTimeout(draw, 0);
    return () => clearTimeout(t);
    // The caller's deps: checked where the hook is called, not here.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, deps);
}
