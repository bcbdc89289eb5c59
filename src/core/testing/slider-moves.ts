import type { ParamEvent } from '../config';
import { createRng } from '../rng';

/** The live sliders' grids (ui/shortcuts.ts `LIVE_SLIDERS`): α 0–3 by 0.05, β 0–0.5 by 0.005. */
const GRID = {
  alpha: { step: 0.05, max: 60, start: 18 },
  beta: { step: 0.005, max: 100, start: 4 },
} as const;

/**
 * `n` typical slider moves, as a link carries them: one per evaluation (K = 10), α seven times
 * in ten, each a few notches of its slider from the last value, with the values the slider gives
 * (`1.15`, `0.035`). Seeded (the project's RNG), so a test's link is the same on every run.
 */
export function sliderMoves(n: number, seed = 1): ParamEvent[] {
  const rng = createRng(seed);
  const at: Record<keyof typeof GRID, number> = {
    alpha: GRID.alpha.start,
    beta: GRID.beta.start,
  };
  const out: ParamEvent[] = [];
  for (let i = 0; i < n; i++) {
    const name = rng.next() < 0.7 ? 'alpha' : 'beta';
    const g = GRID[name];
    const notches = (1 + rng.int(3)) * (rng.next() < 0.5 ? -1 : 1);
    at[name] = Math.min(g.max, Math.max(0, at[name] + notches));
    // As the slider's value string reads: the notch times the step, to the step's decimals.
    out.push({ step: 10 * (i + 1), name, value: Number((at[name] * g.step).toFixed(3)) });
  }
  return out;
}
