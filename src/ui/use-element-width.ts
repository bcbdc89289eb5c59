import { useLayoutEffect, useRef, useState } from 'react';
import type { RefObject } from 'react';

/** The content width of an element in CSS px, kept current with a ResizeObserver. */
export function useElementWidth<T extends HTMLElement>(
  initial = 800,
): [RefObject<T | null>, number] {
  const ref = useRef<T>(null);
  const [width, setWidth] = useState(initial);
  useLayoutEffect(() => {
    const el = ref.current;
    if (!el) return;
    setWidth(Math.floor(el.clientWidth) || initial);
    if (typeof ResizeObserver === 'undefined') return;
    const ro = new ResizeObserver((entries) => {
      const w = entries[0]?.contentRect.width;
      // Rounded so sub-pixel jitter does not redraw the canvas in a loop.
      if (w !== undefined && w > 0) setWidth(Math.floor(w));
    });
    ro.observe(el);
    return () => ro.disconnect();
  }, [initial]);
  return [ref, width];
}
