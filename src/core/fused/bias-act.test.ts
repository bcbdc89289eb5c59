/**
 * The fused bias + activation on the real WebGPU backend (Dawn on SwiftShader) against the
 * composed ops on cpu: values and both gradients at the lab's shapes, that the fused kernel is
 * what ran, and its dispatch counts.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { opDispatches, relError, setupDawn, valueAndGrads } from '../../node/fused-testing';
import { createRng } from '../rng';
import { biasAct, type FusedActivation } from './bias-act';
import { setFused } from './program';

beforeAll(setupDawn, 60_000);
afterEach(() => setFused('auto'));

/** Batch 16 × 32 positions, the lab's transformer step. */
const R = 16 * 32;
const U = 2 ** -24;

interface Case {
  c: number;
  act: FusedActivation;
}

/** Widths: d = 64, 128, 512 and the FFN's 4·64. */
const CASES: Case[] = [64, 128, 256, 512].flatMap((c) => [
  { c, act: 'relu' as const },
  { c, act: 'linear' as const },
]);

function inputsFor(c: number, seed = 1): { values: Float32Array; shape: number[] }[] {
  const rng = createRng(seed);
  const draw = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.normal());
  return [
    { values: draw(R * c), shape: [R, c] },
    { values: draw(c), shape: [c] },
  ];
}

const fnFor =
  (act: FusedActivation) =>
  (...[x, bias]: tf.Tensor[]): tf.Tensor =>
    biasAct(x as tf.Tensor2D, bias!, act);

/** Designed backward dispatches: relu dx = dy·[y > 0] and the column sum; linear the sum. */
const designedBackward = (act: FusedActivation): number => (act === 'relu' ? 2 : 1);

describe('biasAct fused on webgpu vs composed on cpu', () => {
  it.each(CASES)('values and gradients: c = $c, $act', async ({ c, act }) => {
    const inputs = inputsFor(c);
    const gpu = await valueAndGrads('webgpu', fnFor(act), inputs, [0, 1]);
    const cpu = await valueAndGrads('cpu', fnFor(act), inputs, [0, 1]);
    await tf.setBackend('webgpu');
    const errors = {
      value: relError(gpu.value, cpu.value),
      x: relError(gpu.grads[0]!, cpu.grads[0]!),
      bias: relError(gpu.grads[1]!, cpu.grads[1]!),
    };
    console.log(`c = ${c}, ${act}`, JSON.stringify(errors));
    // x + bias and the mask dy·[y > 0] are one correctly rounded operation on both sides:
    // identical.
    expect(errors.value).toBe(0);
    expect(errors.x).toBe(0);
    // The bias's gradient sums R rows in another order: recursive summation's bound R·2⁻²⁴
    // relative to Σ|terms|, which the weights' cancellation can make up to a few times
    // max|result|; a factor 4.
    expect(errors.bias).toBeLessThan(4 * R * U);
  });
});

describe('biasAct on webgpu: the fused kernel runs, in the designed dispatches', () => {
  async function dispatches(
    c: number,
    act: FusedActivation,
    wrt: number[] | null,
  ): Promise<number> {
    return opDispatches(fnFor(act), inputsFor(c), wrt, [R, c]);
  }

  it.each(CASES.filter(({ c }) => c === 64))('dispatch counts: $act', async ({ c, act }) => {
    await tf.setBackend('webgpu');
    expect(await dispatches(c, act, null)).toBe(1);
    expect(await dispatches(c, act, [0, 1])).toBe(1 + designedBackward(act));
    setFused('off');
    const composedForward = await dispatches(c, act, null);
    const composedBoth = await dispatches(c, act, [0, 1]);
    console.log(
      `c = ${c}, ${act}: fused 1 + ${designedBackward(act)}, composed ${composedForward} + ${composedBoth - composedForward}`,
    );
    expect(composedForward).toBe(act === 'relu' ? 2 : 1);
  });

  it('tf.profile sees MatBiasAct, not the composed Add / Relu; off runs the composed ops', async () => {
    await tf.setBackend('webgpu');
    const inputs = inputsFor(64).map((x) => tf.tensor(x.values, x.shape));
    const kernels = async (): Promise<string[]> => {
      const prof = await tf.profile(() => fnFor('relu')(...inputs));
      tf.dispose(prof.result as tf.Tensor);
      return prof.kernels.map((k) => k.name);
    };
    expect(await kernels()).toEqual(['MatBiasAct']);
    setFused('off');
    expect(await kernels()).toEqual(['Add', 'Relu']);
    setFused('auto');
    expect(await kernels()).toEqual(['MatBiasAct']);
    tf.dispose(inputs);
  });
});
