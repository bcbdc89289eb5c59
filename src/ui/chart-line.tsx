import { Curve } from 'recharts';
import type { LineDrawShapeProps } from 'recharts';

/**
 * A `<Line>`'s path without the animation's measurement: recharts' default shape hands the path
 * a ref, and at every render its `CurveWithAnimation` reads `getTotalLength()` of that path, to
 * reveal the line on entrance. That is a geometry query of the previous path, which flushes the
 * style of the page mid-render, on every redraw, animated or not (about 7 % of the loss chart's
 * synchronous redraw on mlp-spiral, CPU profile in Chromium). The lab never animates a line
 * (`isAnimationActive={false}` everywhere), so its lines draw recharts' own `Curve` with no ref:
 * the measurement then reads nothing and costs nothing. Same path, same attributes.
 */
export function staticLine({
  pathRef: _ref,
  animationElapsedTime: _elapsed,
  isAnimating: _animating,
  isEntrance: _entrance,
  visibleLength: _visible,
  ...curve
}: LineDrawShapeProps) {
  return <Curve {...curve} />;
}
