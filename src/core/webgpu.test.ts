/**
 * The real tfjs-backend-webgpu code path (WGSL shaders, buffers, readback) in Node through Dawn
 * on SwiftShader (WEBGPU-TESTING.md). Needs Debian's chromium (for the SwiftShader Vulkan ICD)
 * and libvulkan1, which .ci/run installs.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { boundRatio, setupDawn } from '../node/fused-testing';
import type { BackendInfo } from './backend';
import { DEFAULT_CONFIG } from './config';
import type { ExperimentConfig } from './config';
import { TinyBert } from './families/bert/model';
import { fastBertKernels } from './families/bert/kernel';
import { makeProbe, probeTensors, disposeProbeTensors } from './families/transformer/kernel';
import { oracleBertKernels } from './families/bert/oracle';
import { Session } from './session';
import { testRng } from './testing/fake-rng';
import { lambdaMaxError } from './testing/kernels';
import { randomiseVariables } from './testing/weights';
import { loadCorpusFromDisk, nodeDeps } from '../node/deps';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { createHandler } from '../worker/handler';
import type { FromWorker } from '../protocol/messages';
import { PROTOCOL_VERSION } from '../protocol/messages';

let info: BackendInfo;

beforeAll(async () => {
  info = await setupDawn();
}, 60_000);

/** A 1-layer, 2-head BERT (d = 16, dFF = 32, T = 8, V = 100); batch and probe of 4. */
const tinyBert = { layers: 1, heads: 2, dModel: 16, dFF: 32, seqLen: 8, vocab: 100 };
const tinyConfig = { ...DEFAULT_CONFIG, ...tinyBert, batch: 4, probe: 4, R: 2, K: 2, warmup: 2 };

/** Six steps of `cfg` on WebGPU (g) and on cpu (c): the losses and the last λmax of each. */
async function onBoth(cfg: ExperimentConfig) {
  const run = async () => {
    const s = new Session(cfg, loadCorpusFromDisk());
    const losses: number[] = [];
    const kernels = new Set<string>();
    for (let i = 0; i < 6; i++) {
      // Step 1 (after the first evaluation) is profiled: which kernels the step ran.
      let r!: Awaited<ReturnType<Session['advance']>>;
      if (i === 1) {
        const p = await tf.profile(async () => {
          r = await s.advance();
        });
        p.kernels.forEach((k) => kernels.add(k.name));
      } else r = await s.advance();
      losses.push((await r.loss.data())[0]!);
      r.loss.dispose();
    }
    const lam = Array.from(s.history.at(-1)!.lambdaMax);
    s.dispose();
    return { losses, lam, kernels };
  };
  await tf.setBackend('webgpu');
  const g = await run();
  await tf.setBackend('cpu');
  const c = await run();
  await tf.setBackend('webgpu');
  return { g, c };
}

describe('WebGPU backend (Dawn, SwiftShader)', () => {
  it('really runs on webgpu, with the adapter reported', () => {
    expect(tf.getBackend()).toBe('webgpu');
    expect(info.backend).toBe('webgpu');
    expect(info.adapter.length).toBeGreaterThan(0);
  });

  it('fast mNTK on WebGPU matches the float64 brute-force oracle', async () => {
    const size = { layers: 2, heads: 2, dModel: 8, dFF: 16, seqLen: 6, vocab: 20 };
    tf.setBackend('webgpu');
    const model = new TinyBert(size, testRng(7));
    randomiseVariables(model.allVariables(), 0.3, 300);
    const rng = testRng(4);
    const n = 4;
    const T = 6;
    const inputs = Int32Array.from({ length: n * T }, () => 4 + rng.int(16));
    const positions = Int32Array.from({ length: n }, (_, i) => i * T + 2);
    const targets = Int32Array.from({ length: n }, () => 4 + rng.int(16));
    const batch = { inputs, positions, targets, batch: n, seqLen: T, masked: 1 };
    const probe = makeProbe(batch, 20, 'trace', 3, testRng(2));
    const pt = probeTensors(probe, 20);
    const fast = await fastBertKernels(model, probe, pt);
    disposeProbeTensors(pt);
    // Oracle: weights copied to the cpu backend, per-sample per-projection backward passes.
    const weights = await Promise.all(model.allVariables().map((v) => v.data()));
    await tf.setBackend('cpu');
    const ref = new TinyBert(size, testRng(7));
    ref.allVariables().forEach((v, i) => v.assign(tf.tensor(weights[i]!, v.shape)));
    const oracle = oracleBertKernels(ref, probe, 20);
    await tf.setBackend('webgpu');
    // GPU float32 reductions run in another order than the CPU's; over sums of ~10³ terms the
    // rounding stays ~1e-6 relative (measured 1.5e-7 on λmax), so the CPU bound 1e-4 holds.
    for (let m = 0; m < 4; m++) expect(lambdaMaxError(fast, oracle, n, m)).toBeLessThan(1e-4);
    model.dispose();
  });

  it('trains like the cpu backend: same losses and λmax to float32 rounding', async () => {
    const { g, c } = await onBoth(tinyConfig);
    // The WebGPU run used the lab's fused kernels (core/fused) for every op that has one, and
    // none of the composed ops they replace; the cpu run the composed ops.
    for (const k of ['MatAttention', 'MatAttentionGrad', 'MatAddLayerNorm', 'MatBiasAct']) {
      expect(g.kernels, k).toContain(k);
    }
    for (const k of ['MatCrossEntropyNoBias', 'MatCrossEntropyGrad', 'MatAdamStep']) {
      expect(g.kernels, k).toContain(k);
    }
    for (const k of ['Softmax', 'Mean', 'Rsqrt']) expect(g.kernels, k).not.toContain(k);
    expect([...c.kernels].filter((k) => k.startsWith('Mat'))).toEqual([]);
    g.losses.forEach((l, i) => expect(Math.abs(l - c.losses[i]!)).toBeLessThan(1e-4));
    g.lam.forEach((l, i) => expect(Math.abs(l - c.lam[i]!) / c.lam[i]!).toBeLessThan(1e-4));
  });

  it.each([
    ['BERT, heads + FFN blocks + embeddings', { modules: 'heads,ffn,embed' }],
    [
      'Switch Transformer, heads + experts + embeddings',
      { model: 'switch', modules: 'heads,embed', experts: 3 },
    ],
  ] as const)('the step kernel on WebGPU trains like the cpu backend (%s)', async (_, extra) => {
    const { g, c } = await onBoth({ ...tinyConfig, ...extra, kernel: 'step' as const });
    expect(g.lam.length).toBe(c.lam.length);
    g.losses.forEach((l, i) => expect(Math.abs(l - c.losses[i]!)).toBeLessThan(1e-4));
    // As above; an expert no sequence's kept token reached has λmax 0 on both.
    g.lam.forEach((l, i) => expect(Math.abs(l - c.lam[i]!)).toBeLessThanOrEqual(1e-4 * c.lam[i]!));
  });

  // TF.js 4.22's split-K matmul reads a transposed B as if it were not (webgpu-matmul.ts). The
  // shapes are the lab's: the embeddings' decoder Gram δ·δᵀ over a 2000-token vocabulary and a
  // wide VGG's fully connected group Gram. Without the guard the error was 2.4e2 and more.
  it.each([
    [40, 2000],
    [16, 3136],
  ])(
    'A·Bᵀ with an inner dimension of 2000+ is right (%i × %i, TF.js split-K path)',
    async (m, k) => {
      const a = tf.randomNormal([m, k], 0, 1, 'float32', 11);
      const b = tf.randomNormal([m, k], 0, 1, 'float32', 12);
      const bias = tf.randomNormal([m], 0, 1, 'float32', 13);
      const [ad, bd, biasd] = await Promise.all([a.data(), b.data(), bias.data()]);
      const plain = tf.matMul(a, b, false, true);
      const fused = tf.fused.matMul({ a, b, transposeB: true, bias });
      const [pd, fd] = await Promise.all([plain.data(), fused.data()]);
      // Against the float64 product, within the float32 bound of any summation order.
      const row = (x: ArrayLike<number>) => (i: number, t: number) => x[i * k + t]!;
      const worst = Math.max(
        boundRatio(pd, [m, m, k], row(ad), row(bd)),
        boundRatio(fd, [m, m, k], row(ad), row(bd), (j) => biasd[j]!),
      );
      expect(worst).toBeLessThanOrEqual(1);
      tf.dispose([a, b, bias, plain, fused]);
    },
  );

  it("the embeddings' λmax at a 2000-token vocabulary matches the cpu backend", async () => {
    // 16 probe sequences with a masked token each: the decoder Gram is [16, 16] over V = 2000,
    // the shape that took TF.js's split-K path (λmax was 33 % low on bert-austen before).
    const cfg = { ...tinyConfig, modules: 'heads,embed' as const, vocab: 2000, probe: 16 };
    const { g, c } = await onBoth(cfg);
    expect(g.lam.length).toBe(c.lam.length);
    g.lam.forEach((l, i) => expect(Math.abs(l - c.lam[i]!) / c.lam[i]!).toBeLessThan(1e-4));
  });

  // Last: it destroys the device.
  it('reports a lost device as a fatal, clearly worded error and stops training', async () => {
    const msgs: FromWorker[] = [];
    const gpu = (globalThis as unknown as { navigator: { gpu: GPU } }).navigator.gpu;
    const handle = createHandler((m) => msgs.push(m), { ...nodeDeps, backendEnv: { gpu } });
    await handle({
      type: 'init',
      version: PROTOCOL_VERSION,
      config: { ...tinyConfig, backend: 'webgpu' },
    });
    expect(msgs.find((m) => m.type === 'ready')).toBeDefined();
    await handle({ type: 'play' });
    (tf.backend() as WebGPUBackend).device.destroy();
    const t0 = Date.now();
    while (!msgs.some((m) => m.type === 'error') && Date.now() - t0 < 20_000)
      await new Promise((r) => setTimeout(r, 20));
    const err = msgs.find((m): m is Extract<FromWorker, { type: 'error' }> => m.type === 'error');
    expect(err).toMatchObject({ code: 'device-lost', fatal: true });
    expect(err!.message).toMatch(/GPU device was lost/);
    await new Promise((r) => setTimeout(r, 200));
    expect(msgs.filter((m) => m.type === 'error')).toHaveLength(1);
  });
});
