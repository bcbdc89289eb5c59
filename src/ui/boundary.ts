/** Decision-boundary image for 2D classifiers: the predicted class's colour, faded by uncertainty. */

/** Class colours (colour-blind-friendly pairs first); markers also differ by shape. */
export const CLASS_COLOURS = ['#e8590c', '#1c64f2', '#0e9f6e', '#c81e78', '#7e3af2', '#8d6e00'];
export const CLASS_SHAPES = ['circle', 'square', 'triangle', 'diamond'] as const;

function rgb(hex: string): [number, number, number] {
  const n = parseInt(hex.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * RGBA pixels (resolution × resolution, row 0 at the top) for class probabilities
 * `probs` [resolution², classes]: the argmax class's colour mixed with white by confidence
 * c = (p_max − 1/k) / (1 − 1/k), at most 70 % colour so the points stay visible.
 */
export function boundaryPixels(
  probs: Float32Array,
  resolution: number,
  classes: number,
): Uint8ClampedArray {
  const out = new Uint8ClampedArray(resolution * resolution * 4);
  const colours = Array.from({ length: classes }, (_, c) =>
    rgb(CLASS_COLOURS[c % CLASS_COLOURS.length] ?? '#888888'),
  );
  const k = Math.max(2, classes);
  for (let i = 0; i < resolution * resolution; i++) {
    let best = 0;
    let pMax = -Infinity;
    for (let c = 0; c < classes; c++) {
      const p = probs[i * classes + c] ?? 0;
      if (p > pMax) {
        pMax = p;
        best = c;
      }
    }
    const conf = Number.isFinite(pMax) ? Math.max(0, Math.min(1, (pMax - 1 / k) / (1 - 1 / k))) : 0;
    const a = 0.7 * conf;
    const [r, g, b] = colours[best] ?? [136, 136, 136];
    out[i * 4] = Math.round(255 + (r - 255) * a);
    out[i * 4 + 1] = Math.round(255 + (g - 255) * a);
    out[i * 4 + 2] = Math.round(255 + (b - 255) * a);
    out[i * 4 + 3] = 255;
  }
  return out;
}

/** Canvas position of a data point for a grid spanning [−extent, extent]² drawn `size` px wide. */
export function toCanvas(x: number, y: number, extent: number, size: number): [number, number] {
  return [((x + extent) / (2 * extent)) * size, ((extent - y) / (2 * extent)) * size];
}

/** The points a boundary view draws: they stay the same while its regions change. */
export interface BoundaryPoints {
  train: { x: ArrayLike<number>; y: ArrayLike<number> };
  test: { x: ArrayLike<number>; y: ArrayLike<number> };
  extent: number;
}

/** Whether two views draw the same points (so the markers drawn for one serve the other). */
export function samePoints(a: BoundaryPoints, b: BoundaryPoints): boolean {
  const same = (p: ArrayLike<number>, q: ArrayLike<number>) => {
    if (p.length !== q.length) return false;
    for (let i = 0; i < p.length; i++) if (!Object.is(p[i], q[i])) return false;
    return true;
  };
  return (
    a.extent === b.extent &&
    same(a.train.x, b.train.x) &&
    same(a.train.y, b.train.y) &&
    same(a.test.x, b.test.x) &&
    same(a.test.y, b.test.y)
  );
}
