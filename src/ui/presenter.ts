/** Presenter mode's sizing (PresenterView.tsx draws it). */
import { useEffect, useState } from 'react';

/**
 * What presenter mode leaves for the cells of each grid (heatmap and timeline side by side) in a
 * window `viewportHeight` px tall: the rest holds the bar, the caption, the compute counter, the
 * cards' titles, step axes and legends (measured at 1280 × 720 and 1920 × 1080).
 */
export function presenterGridHeight(viewportHeight: number): number {
  return Math.max(80, Math.floor(viewportHeight - 560));
}

/** The window's inner height, kept current. */
export function useViewportHeight(): number {
  const [h, setH] = useState(() => (typeof window === 'undefined' ? 720 : window.innerHeight));
  useEffect(() => {
    const on = () => setH(window.innerHeight);
    window.addEventListener('resize', on);
    return () => window.removeEventListener('resize', on);
  }, []);
  return h;
}
