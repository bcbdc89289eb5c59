// @vitest-environment happy-dom
// (a DOM for the hook's tests; happy-dom does no layout, so the window's width is set below)
import { act, createElement, useRef } from 'react';
import { createRoot } from 'react-dom/client';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { EDGE, placeInWindow, useTopLayer } from './top-layer';

const TIP = { width: 200, height: 100 };

describe('placeInWindow', () => {
  it('keeps the anchor point when the tip fits there', () => {
    expect(placeInWindow(300, 400, TIP, 1280, 900)).toEqual({ left: 300, top: 400 });
  });

  it('moves the tip left when it would pass the right edge', () => {
    expect(placeInWindow(1200, 400, TIP, 1280, 900).left).toBe(1280 - EDGE - 200);
  });

  it('keeps it off the left edge', () => {
    expect(placeInWindow(-50, 400, TIP, 1280, 900).left).toBe(EDGE);
  });

  it('goes above what it points at when there is no room below', () => {
    // Anchor's top at 840, tip wanted at 860: 860 + 100 > 892, so 840 - 6 - 100.
    expect(placeInWindow(300, 860, TIP, 1280, 900, 840, 6).top).toBe(734);
  });

  it('stays in the window when there is room neither below nor above', () => {
    // 50 px above the anchor: not enough, so its bottom at the window's bottom edge.
    expect(placeInWindow(300, 80, TIP, 1280, 150, 50, 6).top).toBe(150 - EDGE - 100);
    // Taller than the window: its top at the top edge.
    expect(placeInWindow(300, 80, { width: 200, height: 400 }, 1280, 150, 50).top).toBe(EDGE);
  });
});

describe('useTopLayer', () => {
  // React's act() warns unless it knows it runs in a test.
  (globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

  /** The ResizeObservers made, so that a test can report a size change as a browser would. */
  let observers: { callback: () => void; observed: Element[] }[] = [];
  let container: HTMLDivElement;
  let root: ReturnType<typeof createRoot>;

  beforeEach(() => {
    observers = [];
    vi.stubGlobal(
      'ResizeObserver',
      class {
        observed: Element[] = [];
        constructor(readonly callback: () => void) {
          observers.push(this);
        }
        observe(el: Element) {
          this.observed.push(el);
        }
        disconnect() {
          observers = observers.filter((o) => o !== this);
        }
      },
    );
    // No layout in happy-dom: a 1000 x 800 window, so that where the tip goes shows its anchor.
    Object.defineProperty(document.documentElement, 'clientWidth', {
      value: 1000,
      configurable: true,
    });
    Object.defineProperty(document.documentElement, 'clientHeight', {
      value: 800,
      configurable: true,
    });
    container = document.createElement('div');
    document.body.append(container);
    root = createRoot(container);
  });

  afterEach(() => {
    act(() => root.unmount());
    container.remove();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  /**
   * A host as GridCanvas's: its anchor reads the box of an element (a layout read, counted through
   * getBoundingClientRect) and adds `x`, the pointer's position in it, which it passes as an input.
   */
  function Host({ open, x, text }: { open: boolean; x: number; text: string }) {
    const box = useRef<HTMLDivElement>(null);
    const tip = useRef<HTMLDivElement>(null);
    useTopLayer(
      tip,
      open,
      () => {
        const r = box.current?.getBoundingClientRect();
        return r ? { x: r.left + x, y: r.top + 20 } : null;
      },
      [x],
    );
    return createElement(
      'div',
      { ref: box },
      createElement('div', { ref: tip, hidden: !open, 'data-tip': '' }, text),
    );
  }

  const show = (props: { open: boolean; x: number; text: string }) =>
    act(() => root.render(createElement(Host, props)));
  const tipLeft = () =>
    container.querySelector<HTMLElement>('[data-tip]')!.style.getPropertyValue('--tip-left');

  it('places the tip when it opens and when its anchor moves, not on every render', () => {
    const reads = vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect');
    show({ open: false, x: 100, text: 'a' });
    expect(reads).toHaveBeenCalledTimes(0);
    show({ open: true, x: 100, text: 'a' });
    expect(reads).toHaveBeenCalledTimes(1);
    expect(tipLeft()).toBe('100px');
    // Re-rendered with new text (a grid redrawn during training), the anchor unchanged: no layout
    // read. The tip's size, were it to change with the text, is the ResizeObserver's to report.
    for (const text of ['b', 'c', 'd']) show({ open: true, x: 100, text });
    expect(reads).toHaveBeenCalledTimes(1);
    // The pointer moves: placed again, at the new point.
    show({ open: true, x: 300, text: 'd' });
    expect(reads).toHaveBeenCalledTimes(2);
    expect(tipLeft()).toBe('300px');
    // Closed and opened at the same point: placed again on opening.
    show({ open: false, x: 300, text: 'd' });
    show({ open: true, x: 300, text: 'd' });
    expect(reads).toHaveBeenCalledTimes(3);
  });

  it('places it again on scroll, resize and a change of its size, until it closes', () => {
    const reads = vi.spyOn(HTMLElement.prototype, 'getBoundingClientRect');
    show({ open: true, x: 100, text: 'a' });
    expect(reads).toHaveBeenCalledTimes(1);
    // A panel scrolling (capture: scroll does not bubble) and the window resizing.
    act(() => container.dispatchEvent(new Event('scroll')));
    expect(reads).toHaveBeenCalledTimes(2);
    act(() => window.dispatchEvent(new Event('resize')));
    expect(reads).toHaveBeenCalledTimes(3);
    // The tip's size changed (new text): its ResizeObserver reports it.
    expect(observers).toHaveLength(1);
    const [observer] = observers;
    expect(observer?.observed).toEqual([container.querySelector('[data-tip]')]);
    act(() => observer?.callback());
    expect(reads).toHaveBeenCalledTimes(4);
    // Closed: nothing more is listened to.
    show({ open: false, x: 100, text: 'a' });
    expect(observers).toHaveLength(0);
    act(() => window.dispatchEvent(new Event('resize')));
    act(() => container.dispatchEvent(new Event('scroll')));
    expect(reads).toHaveBeenCalledTimes(4);
  });
});
