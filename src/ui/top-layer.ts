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
 * stylesheet may place it otherwise, e.g. on a phone). In the top layer no card's paint
 * containment (`content-visibility`) nor overflow clips it. `anchor` returns `x`, `y` for the
 * tip's top left corner and `flipY`, the top of what it points at (the tip goes `gap` above it
 * when there is no room below).
 *
 * Placing reads layout (the anchor's box and the tip's size), so it is done only when something
 * it depends on may have changed: when the tip opens, when the page or a panel scrolls or the
 * window resizes, when the tip's own size changes (its text changed), and when one of `inputs`
 * changes (compared with `Object.is`): the values, other than the page's layout, that `anchor`
 * computes its point from, e.g. the pointer's position in the element. A render that changes none
 * of these (a grid redrawn while its tooltip is open) does not place it again.
 */
export function useTopLayer(
  tip: RefObject<HTMLElement | null>,
  open: boolean,
  anchor: () => Anchor | null,
  inputs: readonly unknown[],
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
    // Its size, which placing reads, changes with its text; moving it does not change it.
    const resized = typeof ResizeObserver === 'function' ? new ResizeObserver(move) : null;
    resized?.observe(el, { box: 'border-box' });
    return () => {
      window.removeEventListener('scroll', move, { capture: true });
      window.removeEventListener('resize', move);
      resized?.disconnect();
      // A tip removed from the page has left the top layer already.
      if (popover && el.isConnected && el.matches(':popover-open')) el.hidePopover();
    };
  }, [tip, open]);
  // The inputs it was last placed for; null while closed, so opening places it.
  const placedFor = useRef<readonly unknown[] | null>(null);
  useLayoutEffect(() => {
    const el = tip.current;
    if (!open || !el) {
      placedFor.current = null;
      return;
    }
    const last = placedFor.current;
    if (last && sameInputs(last, inputs)) return;
    placedFor.current = inputs;
    placeTip(el, anchor());
  });
}

/** Whether two lists of anchor inputs hold the same values (`Object.is`, in order). */
function sameInputs(a: readonly unknown[], b: readonly unknown[]): boolean {
  return a.length === b.length && a.every((v, i) => Object.is(v, b[i]));
}

/** Where a tip goes, in window coordinates: see `useTopLayer`. */
export interface Anchor {
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
