import { useLayoutEffect, useRef } from 'react';
import type { RefObject } from 'react';

/** Room kept between a tip and the window's edges, CSS px. */
export const EDGE = 8;

export interface Box {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Where a tip of `size` goes for an anchor point (`x`, `y`, window coordinates; the tip's top
 * left corner would be there) so that it stays inside a `vw` × `vh` window: moved left when it
 * would pass the right edge, and above `flipY` (the anchor's top) when it would pass the bottom
 * and there is more room above. A tip larger than the window keeps its top left corner in it.
 */
export function placeInWindow(
  x: number,
  y: number,
  size: { width: number; height: number },
  vw: number,
  vh: number,
  flipY = y,
  gap = 0,
): { left: number; top: number } {
  const left = Math.max(EDGE, Math.min(x, vw - EDGE - size.width));
  let top = y;
  if (top + size.height > vh - EDGE) {
    const above = flipY - gap - size.height;
    top = above >= EDGE ? above : Math.max(EDGE, vh - EDGE - size.height);
  }
  return { left, top: Math.max(EDGE, top) };
}

/**
 * Shows `tip` in the browser's top layer (Popover API, `popover="manual"`) while `open`, placed
 * at what `anchor` returns in window coordinates (through `--tip-left` / `--tip-top`, so a
 * stylesheet may place it otherwise, e.g. on a phone), and kept there as the page or a panel
 * scrolls or the window resizes. In the top layer no card's paint containment
 * (`content-visibility`) nor overflow clips it. `anchor` returns `x`, `y` for the tip's top left
 * corner and `flipY`, the top of what it points at (the tip goes `gap` above it when there is no
 * room below). Placed after every render while open: its text, and so its size, may change.
 */
export function useTopLayer(
  tip: RefObject<HTMLElement | null>,
  open: boolean,
  anchor: () => Anchor | null,
): void {
  const latest = useRef(anchor);
  useLayoutEffect(() => {
    latest.current = anchor;
  });
  useLayoutEffect(() => {
    const el = tip.current;
    if (!el || !open) return;
    // A browser without the Popover API: the tip is placed all the same (position: fixed).
    const popover = typeof el.showPopover === 'function';
    if (popover && !el.matches(':popover-open')) el.showPopover();
    const move = () => placeTip(el, latest.current());
    window.addEventListener('scroll', move, { capture: true, passive: true });
    window.addEventListener('resize', move);
    return () => {
      window.removeEventListener('scroll', move, { capture: true });
      window.removeEventListener('resize', move);
      // A tip removed from the page has left the top layer already.
      if (popover && el.isConnected && el.matches(':popover-open')) el.hidePopover();
    };
  }, [tip, open]);
  useLayoutEffect(() => {
    if (open && tip.current) placeTip(tip.current, anchor());
  });
}

interface Anchor {
  x: number;
  y: number;
  flipY?: number;
  gap?: number;
}

function placeTip(el: HTMLElement, a: Anchor | null): void {
  if (!a) return;
  const { left, top } = placeInWindow(
    a.x,
    a.y,
    { width: el.offsetWidth, height: el.offsetHeight },
    document.documentElement.clientWidth,
    document.documentElement.clientHeight,
    a.flipY,
    a.gap,
  );
  el.style.setProperty('--tip-left', `${Math.round(left)}px`);
  el.style.setProperty('--tip-top', `${Math.round(top)}px`);
}
