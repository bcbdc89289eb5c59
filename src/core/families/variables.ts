import * as tf from '@tensorflow/tfjs';
import type { Rng } from '../rng';

/** Instances made so far per family prefix: TF.js needs variable names unique per engine. */
const instances = new Map<string, number>();

/**
 * Creates a model's trainable variables from the run's seeded rng, in call order, so the rng
 * fixes every initial weight. Names are `<family><instance>/<name>#<counter>`; run files strip
 * the prefix and the suffix (see `exportVariableName`).
 */
export class VariableFactory {
  private readonly prefix: string;
  private counter = 0;

  constructor(
    family: string,
    private readonly rng: Rng,
  ) {
    const n = instances.get(family) ?? 0;
    instances.set(family, n + 1);
    this.prefix = `${family}${n.toString(36)}`;
  }

  private name(name: string): string {
    return `${this.prefix}/${name}#${this.counter++}`;
  }

  /**
   * Weights drawn from N(0, std²) in row-major order. The last `zeroTail` entries are not
   * drawn and stay zero: a bias stored as the last row of `[rows + 1, cols]` (zeroTail = cols),
   * or a neuron's bias after its weights (zeroTail = 1).
   */
  normal(shape: number[], std: number, name: string, zeroTail = 0): tf.Variable {
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    for (let i = 0; i < n - zeroTail; i++) values[i] = this.rng.normal() * std;
    return tf.tidy(() => tf.variable(tf.tensor(values, shape), true, this.name(name)));
  }

  /** [rows + 1, cols]: N(0, std²) weights, the last row (the bias) zero. */
  withBias(rows: number, cols: number, std: number, name: string): tf.Variable {
    return this.normal([rows + 1, cols], std, name, cols);
  }

  /** A constant-filled variable: 1 for LayerNorm gains, 0 for biases. */
  fill(shape: number[], value: number, name: string): tf.Variable {
    return tf.tidy(() => tf.variable(tf.fill(shape, value), true, this.name(name)));
  }
}
