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
 * the modules' asked for: `moduleGrads(asked, got)` puts the gradients of modules `asked` (their
 * indices into `model.modules`, ascending) into `got` by variable name.
 * @throws Error for a variable that is neither a module's nor the backbone's.
 */
export function moduleStepGradients(
  model: LabModel,
  backboneGrads: ReadonlyMap<string, tf.Tensor>,
  moduleGrads: (asked: number[], got: Map<string, tf.Tensor>) => void,
): StepProbe['gradients'] {
  // Module variable name → module index.
  const owner = new Map<string, number>();
  model.modules.forEach((_, m) => {
    for (const v of model.moduleVariables(m)) owner.set(v.name, m);
  });
  return (vars) => {
    const asked = new Set<number>();
    for (const v of vars) {
      const m = owner.get(v.name);
      if (m !== undefined) asked.add(m);
      else if (!backboneGrads.has(v.name)) throw new Error(`No gradient for ${v.name}.`);
    }
    const got = new Map<string, tf.Tensor>();
    if (asked.size > 0)
      moduleGrads(
        [...asked].sort((a, b) => a - b),
        got,
      );
    return vars.map((v) => got.get(v.name) ?? backboneGrads.get(v.name)!.clone());
  };
}

/**
 * `moduleStepGradients` for models whose modules are numbered layer by layer (VGG, MLP):
 * `layerGrads(l, asked, got)` puts the gradients of layer l's modules `asked` (their indices
 * within the layer, ascending) into `got` by variable name.
 */
export function stepGradients(
  model: LabModel,
  layers: number,
  backboneGrads: ReadonlyMap<string, tf.Tensor>,
  layerGrads: (l: number, asked: number[], got: Map<string, tf.Tensor>) => void,
): StepProbe['gradients'] {
  return moduleStepGradients(model, backboneGrads, (asked, got) => {
    const perLayer = Array.from({ length: layers }, () => [] as number[]);
    for (const m of asked) {
      const info = model.modules[m]!;
      perLayer[info.layer]!.push(info.index);
    }
    perLayer.forEach((indices, l) => {
      if (indices.length > 0) layerGrads(l, indices, got);
    });
  });
}
