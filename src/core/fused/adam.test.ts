/**
 * adamStep fused on WebGPU (Dawn on SwiftShader) against the composed ops on cpu, and
 * FusedAdam over it: the same training on both backends across a change of the active set,
 * weights assigned from outside between steps, and the dispatches of one step.
 */
import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { adamStep } from './adam';
import { countDispatches, setFused } from './program';
import { relError, setupDawn } from '../../node/fused-testing';
import { FusedAdam } from '../optim/adam';
import type { AdamSlotData } from '../optim/adam';
import { TinyBert } from '../families/bert/model';
import { testRng } from '../testing/fake-rng';
import { DEFAULT_CONFIG } from '../config';

beforeAll(setupDawn, 60_000);
afterEach(() => setFused('auto'));

/** Deterministic values in [−1, 1) (a 32-bit LCG). */
function uniforms(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  return Float32Array.from({ length: n }, () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return scale * (s / 2 ** 31 - 1);
  });
}

const CONFIG = { lr: 1e-2, beta1: 0.9, beta2: 0.999, epsilon: 1e-8 };

/** Each variable's step size and scaled ε at its step t, as FusedAdam.apply computes them. */
function coefficients(ts: number[]): Float32Array {
  const { lr, beta1, beta2, epsilon } = CONFIG;
  const out = new Float32Array(2 * ts.length);
  ts.forEach((t, i) => {
    const bc2 = Math.sqrt(1 - beta2 ** t);
    out[i] = (lr * bc2) / (1 - beta1 ** t);
    out[ts.length + i] = epsilon * bc2;
  });
  return out;
}

/**
 * Tolerance 1e-6, normwise per part. m' and v' are two float32 operations each (the GPU may
 * contract one into a fused multiply-add: ≤ 1 ulp apart); w' adds √, a division (WGSL allows
 * 2.5 ulp each) and a subtraction, so it differs by a few ulp of the update, which the data
 * below keep the size of w (|w| ≲ 0.01, steps ≈ lr). Measured under SwiftShader: 0 (the same
 * bits as cpu: it rounds √ and ÷ correctly and contracts nothing); a GPU may not.
 */
const TOL = 1e-6;

describe('adamStep', () => {
  it('fused on WebGPU matches the composed ops on cpu (P ≈ 100 k, 6 variables at different t)', async () => {
    const sizes = [40_000, 1, 25_000, 777, 30_000, 4_222];
    const ts = [1, 2, 7, 1000, 3, 50];
    const P = sizes.reduce((a, b) => a + b, 0);
    const w = uniforms(P, 1, 0.01);
    const m = uniforms(P, 2, 0.1);
    const v = uniforms(P, 3, 0.01).map(Math.abs);
    // Some zero second moments and gradients: √v + e then rests on ε alone.
    for (let i = 0; i < P; i += 997) v[i] = 0;
    const g = uniforms(P, 4, 0.1);
    for (let i = 0; i < P; i += 1009) g[i] = 0;
    const segment = new Int32Array(P);
    let at = 0;
    sizes.forEach((n, i) => {
      segment.fill(i, at, at + n);
      at += n;
    });
    const state = new Float32Array(3 * P);
    state.set(w);
    state.set(m, P);
    state.set(v, 2 * P);
    const coeffs = coefficients(ts);
    const run = async (backend: 'webgpu' | 'cpu') => {
      await tf.setBackend(backend);
      const ins = [
        tf.tensor1d(state),
        tf.tensor1d(g),
        tf.tensor1d(coeffs),
        tf.tensor1d(segment, 'int32'),
      ] as const;
      const { result, dispatches } = await countDispatches(async () => {
        const out = adamStep(...ins, CONFIG.beta1, CONFIG.beta2);
        const data = Float32Array.from((await out.data()) as Float32Array);
        out.dispose();
        return data;
      });
      tf.dispose([...ins]);
      return { out: result, dispatches };
    };
    const gpu = await run('webgpu');
    const cpu = await run('cpu');
    expect(gpu.dispatches).toBe(1);
    const part = (x: Float32Array, k: number) => x.subarray(k * P, (k + 1) * P);
    const errors = [0, 1, 2].map((k) => relError(part(gpu.out, k), part(cpu.out, k)));
    console.log(
      `adamStep webgpu vs cpu, normwise w′ m′ v′: ${errors.map((e) => e.toExponential(2))}`,
    );
    errors.forEach((e, k) => expect(e, 'wmv'[k]).toBeLessThan(TOL));
    // The update itself, not only w′: w′ − w against cpu's, relative to its largest entry.
    const dw = (x: Float32Array) => part(x, 0).map((y, i) => y - w[i]!);
    expect(relError(dw(gpu.out), dw(cpu.out))).toBeLessThan(1e-4);
    await tf.setBackend('webgpu');
  }, 60_000);

  it('is one MatAdamStep kernel on WebGPU and the composed ops with the switch off', async () => {
    await tf.setBackend('webgpu');
    const P = 1000;
    const ins = [
      tf.tensor1d(uniforms(3 * P, 5).map(Math.abs)),
      tf.tensor1d(uniforms(P, 6)),
      tf.tensor1d(coefficients([1, 2])),
      tf.tensor1d(
        Int32Array.from({ length: P }, (_, i) => (i < 300 ? 0 : 1)),
        'int32',
      ),
    ] as const;
    const kernels = async () => {
      const p = await tf.profile(() => adamStep(...ins, 0.9, 0.999));
      const names = p.kernels.map((k) => k.name);
      const data = Float32Array.from((await (p.result as tf.Tensor).data()) as Float32Array);
      (p.result as tf.Tensor).dispose();
      return { names, data };
    };
    const fused = await kernels();
    expect(fused.names).toEqual(['MatAdamStep']);
    setFused('off');
    const off = await kernels();
    expect(off.names).not.toContain('MatAdamStep');
    expect(off.names.length).toBeGreaterThan(10);
    expect(relError(fused.data, off.data)).toBeLessThan(TOL);
    tf.dispose([...ins]);
  });
});

/** A few variables (a matrix, vectors, a scalar-sized one) with their own fixed gradients. */
function problem() {
  const shapes = [[60, 50], [50], [1], [30, 20], [777]];
  const init = shapes.map((s, i) =>
    uniforms(
      s.reduce((a, b) => a * b, 1),
      10 + i,
      0.02,
    ),
  );
  /** Gradients of step k: fixed per step, not from a loss, so only the optimizer differs. */
  const gradsAt = (k: number) => init.map((x, i) => uniforms(x.length, 100 * k + i, 0.1));
  return { shapes, init, gradsAt };
}

/**
 * FusedAdam on the current backend over `steps` (each the indices of the active variables):
 * the final weights and slots. `between` runs after step index `at` (an outside assignment).
 */
async function train(
  steps: number[][],
  between?: { at: number; run: (vars: tf.Variable[], opt: FusedAdam) => Promise<void> },
) {
  const { shapes, init, gradsAt } = problem();
  const before = tf.memory().numTensors;
  const vars = shapes.map((s, i) => {
    const t = tf.tensor(init[i]!, s);
    const v = tf.variable(t, true, `adamtest${i}_${Math.random()}`);
    t.dispose();
    return v;
  });
  const opt = new FusedAdam(CONFIG);
  for (const [k, set] of steps.entries()) {
    opt.setActive(set.map((i) => vars[i]!));
    tf.tidy(() => opt.apply(set.map((i) => tf.tensor(gradsAt(k)[i]!, shapes[i]))));
    if (between?.at === k) await between.run(vars, opt);
  }
  const weights = await Promise.all(
    vars.map(async (v) => Float32Array.from((await v.data()) as Float32Array)),
  );
  const slots = await opt.exportSlots(vars);
  opt.dispose();
  tf.dispose(vars);
  // The optimizer leaves nothing behind.
  expect(tf.memory().numTensors).toBe(before);
  return { weights, slots };
}

/** Five steps: all, one subset twice, the other (frozen variables keep moments and t), all. */
const SCHEDULE = [
  [0, 1, 2, 3, 4],
  [1, 3],
  [1, 3],
  [0, 2, 4],
  [0, 1, 2, 3, 4],
];

function flatSlots(slots: (AdamSlotData | null)[]): { m: number[]; v: number[]; t: number[] } {
  return {
    m: slots.flatMap((s) => Array.from(s!.m)),
    v: slots.flatMap((s) => Array.from(s!.v)),
    t: slots.map((s) => s!.t),
  };
}

describe('FusedAdam over adamStep', () => {
  it('trains on WebGPU (fused) as on cpu over 5 steps with changes of the active set', async () => {
    await tf.setBackend('webgpu');
    const gpu = await train(SCHEDULE);
    await tf.setBackend('cpu');
    const cpu = await train(SCHEDULE);
    await tf.setBackend('webgpu');
    const w = relError(
      gpu.weights.flatMap((x) => Array.from(x)),
      cpu.weights.flatMap((x) => Array.from(x)),
    );
    const a = flatSlots(gpu.slots);
    const b = flatSlots(cpu.slots);
    const mErr = relError(a.m, b.m);
    const vErr = relError(a.v, b.v);
    console.log(
      `FusedAdam 5 steps webgpu vs cpu, normwise w m v: ${[w, mErr, vErr].map((e) => e.toExponential(2))}`,
    );
    expect(a.t).toEqual([3, 4, 3, 4, 3]);
    expect(b.t).toEqual(a.t);
    // Five steps of the per-step error above, compounded through m and v.
    expect(w).toBeLessThan(5 * TOL);
    expect(mErr).toBeLessThan(5 * TOL);
    expect(vErr).toBeLessThan(5 * TOL);
  }, 60_000);

  it.each(['webgpu', 'cpu'] as const)(
    'takes weights assigned between steps (%s): as a restore through importSlots would',
    async (backend) => {
      await tf.setBackend(backend);
      const { shapes } = problem();
      const restored = shapes.map((s, i) =>
        uniforms(
          s.reduce((a, b) => a * b, 1),
          50 + i,
          0.05,
        ),
      );
      // Assigned behind the optimizer's back while the active set stays the same.
      const assigned = await train(SCHEDULE, {
        at: 1,
        run: async (vars) => assign(vars, restored),
      });
      // The reference: the same assignment with the optimizer's state exported and re-imported,
      // which empties the active set, so the next setActive rebuilds w from the variables.
      const reimported = await train(SCHEDULE, {
        at: 1,
        run: async (vars, opt) => {
          assign(vars, restored);
          opt.importSlots(vars, await opt.exportSlots(vars));
        },
      });
      await tf.setBackend('webgpu');
      assigned.weights.forEach((x, i) =>
        expect(Array.from(x)).toEqual(Array.from(reimported.weights[i]!)),
      );
      expect(flatSlots(assigned.slots)).toEqual(flatSlots(reimported.slots));
    },
    60_000,
  );

  it('applies the 43 variables of the default BERT in one dispatch on WebGPU (was 73)', async () => {
    await tf.setBackend('webgpu');
    const { layers, heads, dModel, dFF, seqLen, vocab } = DEFAULT_CONFIG;
    const model = new TinyBert({ layers, heads, dModel, dFF, seqLen, vocab }, testRng(1));
    const vars = model.allVariables();
    expect(vars.length).toBe(43);
    const grads = vars.map((v, i) => tf.fill(v.shape, 1e-3 * (i + 1)));
    const opt = new FusedAdam(CONFIG);
    opt.setActive(vars);
    const { dispatches } = await countDispatches(async () => {
      tf.tidy(() => opt.apply(grads));
      await vars[0]!.data();
    });
    const p = await tf.profile(() => tf.tidy(() => opt.apply(grads)));
    const counts = new Map<string, number>();
    for (const k of p.kernels) counts.set(k.name, (counts.get(k.name) ?? 0) + 1);
    // The gradients go into one flat vector and the new weights out to the variables by buffer
    // copies (no dispatch: core/fused/copies.ts); TF.js's Concat would take 5 dispatches for 43
    // inputs under SwiftShader's 12 storage buffers a stage, a Slice per variable 43.
    expect(counts.get('MatConcatCopies')).toBe(1);
    expect(counts.get('MatAdamStep')).toBe(1);
    expect(counts.get('MatSliceCopies')).toBe(1);
    expect(counts.get('Concat')).toBeUndefined();
    expect(counts.get('Slice')).toBeUndefined();
    expect(dispatches).toBe(1);
    opt.dispose();
    tf.dispose(grads);
    model.dispose();
  }, 60_000);
});

function assign(vars: tf.Variable[], values: Float32Array[]): void {
  vars.forEach((v, i) => tf.tidy(() => v.assign(tf.tensor(values[i]!, v.shape))));
}
