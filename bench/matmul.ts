/**
 * `npm run bench:matmul`: the default BERT step's matrix products one at a time on WebGPU, the
 * lab's A·Bᵀ and Aᵀ·B (src/core/fused/matmul.ts) against TF.js's `tf.matMul` with the same
 * transpose flags, ms per product (`REPS` back to back, then one read). Every shape is checked
 * first: the two results agree to 1e-3 of the largest value (a wrong fast kernel would give
 * figures that look fine). Not a test: figures go to bench/results/matmul-webgpu[-gles].json.
 *
 *   npm run bench:matmul -- [--gles] [--reps 30]
 * SwiftShader: VK_ICD_FILENAMES as for `npm run bench`; `--gles`: llvmpipe.
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { matMulNT, matMulTN } from '../src/core/fused/matmul';
import { setupNodeBackend } from '../src/node/backend';
import { arg, median } from './common';

const gles = process.argv.includes('--gles');
if (gles) process.env.EGL_PLATFORM ??= 'surfaceless';
const reps = Number(arg('reps', '30'));
const here = dirname(fileURLToPath(import.meta.url));

/**
 * The step's products (2 layers, d 64, d_ff 128, 4 heads, 16 × 32 positions, 80 masked, V 2000):
 * A·Bᵀ = each linear map's input gradient dy·Wᵀ and the decoder's logits tn·Eᵀ; Aᵀ·B = each
 * weight gradient xᵀ·dy and the decoder's dE.
 */
const NT: [string, number, number, number][] = [
  ['q|k|v dx: [512, 192]·[65, 192]ᵀ', 512, 192, 65],
  ['FFN-in dx: [512, 128]·[64, 128]ᵀ', 512, 128, 64],
  ['out-proj dx: [512, 64]·[64, 64]ᵀ', 512, 64, 64],
  ['MLM dense dx: [80, 64]·[64, 64]ᵀ', 80, 64, 64],
  ['decoder logits: [80, 64]·[2000, 64]ᵀ', 80, 64, 2000],
];
const TN: [string, number, number, number][] = [
  ['q|k|v dW: [512, 65]ᵀ·[512, 192]', 512, 65, 192],
  ['FFN-in dW: [512, 64]ᵀ·[512, 128]', 512, 64, 128],
  ['FFN-out dW: [512, 128]ᵀ·[512, 64]', 512, 128, 64],
  ['out-proj dW: [512, 64]ᵀ·[512, 64]', 512, 64, 64],
  ['decoder dE: [80, 2000]ᵀ·[80, 64]', 80, 2000, 64],
];

/** ms per call of `f`: three warm-up calls, then `reps` back to back and one read; median of 3. */
async function msPer(f: () => tf.Tensor): Promise<number> {
  for (let i = 0; i < 3; i++) f().dispose();
  const rounds: number[] = [];
  for (let round = 0; round < 3; round++) {
    await f().data();
    const t0 = performance.now();
    let last: tf.Tensor | null = null;
    for (let i = 0; i < reps; i++) {
      last?.dispose();
      last = f();
    }
    await last!.data();
    last!.dispose();
    rounds.push((performance.now() - t0) / reps);
  }
  return median(rounds);
}

async function compare(
  name: string,
  a: tf.Tensor2D,
  b: tf.Tensor2D,
  lab: () => tf.Tensor,
  tfjs: () => tf.Tensor,
) {
  const check = tf.tidy(() => {
    const x = lab();
    const y = tfjs();
    return [tf.max(tf.abs(x.sub(y))), tf.max(tf.abs(y))];
  });
  const [diff = NaN, scale = NaN] = await Promise.all(check.map(async (t) => (await t.data())[0]!));
  tf.dispose(check);
  if (!(diff <= 1e-3 * scale)) throw new Error(`${name}: lab and TF.js differ by ${diff}`);
  const tfjsMs = await msPer(tfjs);
  const labMs = await msPer(lab);
  tf.dispose([a, b]);
  const row = { name, tfjsMs, labMs, speedup: tfjsMs / labMs };
  console.log(
    `${name}: TF.js ${tfjsMs.toFixed(2)} ms, lab ${labMs.toFixed(2)} ms, ×${row.speedup.toFixed(2)}`,
  );
  return row;
}

async function main(): Promise<void> {
  const { description } = await setupNodeBackend('webgpu', { gles });
  console.log(`${description}; ${reps} products back to back, median of 3 rounds`);
  const nt = [];
  for (const [name, M, K, N] of NT) {
    const a = tf.randomNormal([M, K], 0, 1, 'float32', 1) as tf.Tensor2D;
    const b = tf.randomNormal([N, K], 0, 1, 'float32', 2) as tf.Tensor2D;
    nt.push(
      await compare(
        name,
        a,
        b,
        () => matMulNT(a, b),
        () => tf.matMul(a, b, false, true),
      ),
    );
  }
  const tn = [];
  for (const [name, R, M, N] of TN) {
    const a = tf.randomNormal([R, M], 0, 1, 'float32', 3) as tf.Tensor2D;
    const b = tf.randomNormal([R, N], 0, 1, 'float32', 4) as tf.Tensor2D;
    tn.push(
      await compare(
        name,
        a,
        b,
        () => matMulTN(a, b),
        () => tf.matMul(a, b, true, false),
      ),
    );
  }
  const out = {
    date: new Date().toISOString(),
    backend: description,
    command: `npm run bench:matmul --${gles ? ' --gles' : ''} --reps ${reps}`,
    reps,
    aTimesBTransposed: nt,
    aTransposedTimesB: tn,
  };
  const file = join(here, 'results', `matmul-webgpu${gles ? '-gles' : ''}.json`);
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify(out, null, 2)}\n`);
  console.log(`wrote ${file}`);
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    console.error(e);
    process.exit(1);
  },
);
