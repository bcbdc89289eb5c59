import { useRef } from 'react';
import type { ModelView } from '../core/families/types';
import type { BoundaryPoints as Points } from './boundary';
import { boundaryPixels, CLASS_COLOURS, CLASS_SHAPES, samePoints, toCanvas } from './boundary';
import { setupCanvas } from './grid-draw';
import { useDrawAfterCommit } from './use-draw-after-commit';

type Boundary = Extract<ModelView, { kind: 'boundary' }>;
const SIZE = 320;

function marker(
  ctx: CanvasRenderingContext2D,
  x: number,
  y: number,
  cls: number,
  filled: boolean,
): void {
  const shape = CLASS_SHAPES[cls % CLASS_SHAPES.length] ?? 'circle';
  const r = 4;
  ctx.beginPath();
  if (shape === 'circle') ctx.arc(x, y, r, 0, 2 * Math.PI);
  else if (shape === 'square') ctx.rect(x - r, y - r, 2 * r, 2 * r);
  else if (shape === 'triangle') {
    ctx.moveTo(x, y - r - 1);
    ctx.lineTo(x + r + 1, y + r);
    ctx.lineTo(x - r - 1, y + r);
    ctx.closePath();
  } else {
    ctx.moveTo(x, y - r - 1);
    ctx.lineTo(x + r + 1, y);
    ctx.lineTo(x, y + r + 1);
    ctx.lineTo(x - r - 1, y);
    ctx.closePath();
  }
  const colour = CLASS_COLOURS[cls % CLASS_COLOURS.length] ?? '#888888';
  if (filled) {
    ctx.fillStyle = colour;
    ctx.fill();
    ctx.strokeStyle = '#ffffff';
  } else {
    ctx.strokeStyle = colour;
  }
  ctx.lineWidth = 1.6;
  ctx.stroke();
}

/** The training (filled) and test (hollow) markers on a transparent canvas of `px` pixels. */
function markerLayer(points: Points, px: number): HTMLCanvasElement {
  const layer = document.createElement('canvas');
  layer.width = layer.height = px;
  const ctx = layer.getContext('2d');
  if (!ctx) return layer;
  ctx.scale(px / SIZE, px / SIZE);
  for (const [set, filled] of [
    [points.train, true],
    [points.test, false],
  ] as const) {
    for (let i = 0; i < set.y.length; i++) {
      const [x, y] = toCanvas(set.x[2 * i] ?? 0, set.x[2 * i + 1] ?? 0, points.extent, SIZE);
      marker(ctx, x, y, set.y[i] ?? 0, filled);
    }
  }
  return layer;
}

/**
 * The classifier's decision regions with the training (filled) and test (hollow) points. A new
 * view comes with every push while training: the regions are drawn anew, the markers (hundreds
 * of paths) once, into a layer kept while the points stay the same. Drawn in a task of its own,
 * after the commit's.
 */
export function BoundaryView({ view }: { view: Boundary }) {
  const ref = useRef<HTMLCanvasElement>(null);
  const markers = useRef<{ points: Points; layer: HTMLCanvasElement } | null>(null);
  useDrawAfterCommit(() => {
    const canvas = ref.current;
    if (!canvas) return;
    const ctx = setupCanvas(canvas, SIZE, SIZE);
    if (!ctx) return;
    const { resolution: r, classes } = view;
    const tile = document.createElement('canvas');
    tile.width = tile.height = r;
    const tileCtx = tile.getContext('2d');
    if (tileCtx) {
      tileCtx.putImageData(
        new ImageData(
          boundaryPixels(view.probs, r, classes) as Uint8ClampedArray<ArrayBuffer>,
          r,
          r,
        ),
        0,
        0,
      );
      ctx.imageSmoothingEnabled = true;
      ctx.drawImage(tile, 0, 0, SIZE, SIZE);
    }
    const px = canvas.width;
    const kept = markers.current;
    const layer =
      kept && kept.layer.width === px && samePoints(kept.points, view)
        ? kept.layer
        : markerLayer(view, px);
    markers.current = {
      points: { train: view.train, test: view.test, extent: view.extent },
      layer,
    };
    ctx.drawImage(layer, 0, 0, SIZE, SIZE);
    ctx.strokeStyle = '#9aa3af';
    ctx.strokeRect(0.5, 0.5, SIZE - 1, SIZE - 1);
  }, [view]);
  return (
    <figure className="boundary">
      <canvas
        ref={ref}
        role="img"
        aria-label={`Decision regions of ${view.classes} classes with training and test points`}
      />
      <figcaption>
        Background: predicted class, paler where the model is unsure. Filled markers: training
        points; hollow: test points. Shape and colour give the class. Axes span ±{view.extent}.
      </figcaption>
    </figure>
  );
}
