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
type Row = [name: string, aShape: [number, number], bShape: [number, number]];
const NT: Row[] = [
  ['q|k|v dx: [512, 192]·[65, 192]ᵀ', [512, 192], [65, 192]],
  ['FFN-in dx: [512, 128]·[64, 128]ᵀ', [512, 128], [64, 128]],
  ['out-proj dx: [512, 64]·[64, 64]ᵀ', [512, 64], [64, 64]],
  ['MLM dense dx: [80, 64]·[64, 64]ᵀ', [80, 64], [64, 64]],
  ['decoder logits: [80, 64]·[2000, 64]ᵀ', [80, 64], [2000, 64]],
];
const TN: Row[] = [
  ['q|k|v dW: [512, 65]ᵀ·[512, 192]', [512, 65], [512, 192]],
  ['FFN-in dW: [512, 64]ᵀ·[512, 128]', [512, 64], [512, 128]],
  ['FFN-out dW: [512, 128]ᵀ·[512, 64]', [512, 128], [512, 64]],
  ['out-proj dW: [512, 64]ᵀ·[512, 64]', [512, 64], [512, 64]],
  ['decoder dE: [80, 2000]ᵀ·[80, 64]', [80, 2000], [80, 64]],
];

/** Each kind of product: its shapes, TF.js's transpose flags and the lab's op. */
const PRODUCTS = {
  aTimesBTransposed: { rows: NT, transposes: [false, true], lab: matMulNT },
  aTransposedTimesB: { rows: TN, transposes: [true, false], lab: matMulTN },
} as const;

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

/**
 * The lab's product `lab` and `tf.matMul` with the same transposes on random factors of the
 * given shapes: checked equal, then timed.
 */
async function compare(
  name: string,
  [aShape, bShape]: [[number, number], [number, number]],
  [transposeA, transposeB]: readonly [boolean, boolean],
  lab: (a: tf.Tensor2D, b: tf.Tensor2D) => tf.Tensor2D,
) {
  const a = tf.randomNormal(aShape, 0, 1, 'float32', 1) as tf.Tensor2D;
  const b = tf.randomNormal(bShape, 0, 1, 'float32', 2) as tf.Tensor2D;
  const tfjs = () => tf.matMul(a, b, transposeA, transposeB);
  const check = tf.tidy(() => {
    const y = tfjs();
    return [tf.max(tf.abs(lab(a, b).sub(y))), tf.max(tf.abs(y))];
  });
  const [diff = NaN, scale = NaN] = await Promise.all(check.map(async (t) => (await t.data())[0]!));
  tf.dispose(check);
  if (!(diff <= 1e-3 * scale)) throw new Error(`${name}: lab and TF.js differ by ${diff}`);
  const tfjsMs = await msPer(tfjs);
  const labMs = await msPer(() => lab(a, b));
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
  const results: Record<string, unknown[]> = {};
  for (const [kind, { rows, transposes, lab }] of Object.entries(PRODUCTS)) {
    const done: unknown[] = (results[kind] = []);
    for (const [name, aShape, bShape] of rows) {
      done.push(await compare(name, [aShape, bShape], transposes, lab));
    }
  }
  const out = {
    date: new Date().toISOString(),
    backend: description,
    command: `npm run bench:matmul --${gles ? ' --gles' : ''} --reps ${reps}`,
    reps,
    ...results,
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
