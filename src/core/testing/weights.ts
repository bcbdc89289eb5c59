import * as tf from '@tensorflow/tfjs';

/** Normal(mean, std) for a variable, or null to leave it as it is. */
export type Init = (v: tf.Variable) => { mean: number; std: number } | null;

/**
 * Reassigns the i-th variable values drawn from `init(v)` with seed `seed + i`; a number `init`
 * is Normal(0, init) for every variable. Tests use larger weights (and non-zero biases) than
 * the models' own init, so every term of what they check matters.
 */
export function randomiseVariables(vars: tf.Variable[], init: number | Init, seed: number): void {
  vars.forEach((v, i) => {
    const p = typeof init === 'number' ? { mean: 0, std: init } : init(v);
    if (p) tf.tidy(() => v.assign(tf.randomNormal(v.shape, p.mean, p.std, 'float32', seed + i)));
  });
}

/**
 * Normal(0, std), except LayerNorm gains near 1, Normal(1, 0.2): random-sign gains near 0 would
 * make a router's input nearly the same for every token, and every token pick the same expert.
 */
export const lnGainsNearOne =
  (std: number): Init =>
  (v) =>
    /ln.?g|LnG/i.test(v.name) ? { mean: 1, std: 0.2 } : { mean: 0, std };

/** Normal(0, std) for the biases (rank 1) only, so non-zero biases matter too; the rest kept. */
export const biasesOnly =
  (std: number): Init =>
  (v) =>
    v.shape.length === 1 ? { mean: 0, std } : null;
