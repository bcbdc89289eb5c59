/**
 * What the families' 'step' kernels (`StepProbe`, docs/method.md) share: the training step's own
 * pass with zero taps on every layer's module outputs, and the weight gradients asked for after
 * the decision.
 */
import * as tf from '@tensorflow/tfjs';
import type { LabModel } from './model';
import type { StepProbe } from './types';

/** @throws RangeError unless 1 ≤ n ≤ B (the step kernel's samples are the batch's first n). */
export function checkStepKernelSize(n: number, B: number): void {
  if (!(n >= 1 && n <= B))
    throw new RangeError(`The step kernel needs 1 ≤ n ≤ batch, got n = ${n}, batch ${B}.`);
}

/**
 * One forward of the batch-mean loss with the zero `taps` (built inside a tidy), and one backward
 * to the taps and the `backbone` variables: the loss, every gradient (`grads`: the caller
 * disposes them), the taps' (D, one per layer) and the backbone's by variable name.
 */
export function stepPass<T extends tf.Tensor>(
  backbone: tf.Variable[],
  taps: () => T[],
  loss: (taps: T[]) => tf.Scalar,
): { value: tf.Scalar; grads: tf.Tensor[]; D: T[]; backboneGrads: Map<string, tf.Tensor> } {
  let layers = 0;
  const { value, grads } = tf.tidy(() => {
    const zeros = taps();
    layers = zeros.length;
    const f = (...args: tf.Tensor[]) => loss(args.slice(0, layers) as T[]);
    return tf.valueAndGrads(f)([...zeros, ...backbone]);
  });
  const D = grads.slice(0, layers) as T[];
  const backboneGrads = new Map(backbone.map((v, i) => [v.name, grads[layers + i]!]));
  return { value, grads, D, backboneGrads };
}

/**
 * A step kernel's `gradients(vars)`: the backbone's from the pass (`backboneGrads`, cloned), and
 * the modules' asked for, per layer: `layerGrads(l, asked, got)` puts the gradients of layer l's
 * modules `asked` (their indices within the layer, ascending) into `got` by variable name.
 * @throws Error for a variable that is neither a module's nor the backbone's.
 */
export function stepGradients(
  model: LabModel,
  layers: number,
  backboneGrads: ReadonlyMap<string, tf.Tensor>,
  layerGrads: (l: number, asked: number[], got: Map<string, tf.Tensor>) => void,
): StepProbe['gradients'] {
  // Module variable name → (layer, index within the layer).
  const where = new Map<string, { l: number; index: number }>();
  model.modules.forEach((info, m) => {
    for (const v of model.moduleVariables(m))
      where.set(v.name, { l: info.layer, index: info.index });
  });
  return (vars) => {
    const asked = Array.from({ length: layers }, () => new Set<number>());
    for (const v of vars) {
      const at = where.get(v.name);
      if (at) asked[at.l]!.add(at.index);
      else if (!backboneGrads.has(v.name)) throw new Error(`No gradient for ${v.name}.`);
    }
    const got = new Map<string, tf.Tensor>();
    asked.forEach((set, l) => {
      if (set.size > 0)
        layerGrads(
          l,
          [...set].sort((a, b) => a - b),
          got,
        );
    });
    return vars.map((v) => got.get(v.name) ?? backboneGrads.get(v.name)!.clone());
  };
}
