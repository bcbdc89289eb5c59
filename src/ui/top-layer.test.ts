import { describe, expect, it } from 'vitest';
import { EDGE, placeInWindow } from './top-layer';

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
