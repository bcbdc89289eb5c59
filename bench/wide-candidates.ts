/**
 * Wider presets (issue 14, item 3): median ms/step (vanilla, WASM) of candidate over-parameterised
 * configs next to their family's preset, in one process and interleaved, so the ratio tells how
 * a candidate's reproduction would compare with its preset's measured one. Not a test; prints a
 * table and writes bench/results/wide-candidates-<backend>.json.
 *
 *   npx tsx bench/wide-candidates.ts [--backend wasm] [--steps 8]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExperimentConfig } from '../src/core/config';
import { presetConfig } from '../src/core/presets';
import { Session } from '../src/core/session';
import { isNodeBackend, setupNodeBackend } from '../src/node/backend';
import { loadTaskDataFromDisk } from '../src/node/deps';
import { arg, median, timedAdvance } from './common';

const backend = arg('backend', 'wasm');
const steps = Number(arg('steps', '8'));

const base = (id: string) => presetConfig(id)!;
const CANDIDATES: [string, ExperimentConfig][] = [
  ['bert-austen', base('bert-austen')],
  ['bert 2 × 8 heads, d 128, dFF 512', { ...base('bert-austen'), heads: 8, dModel: 128, dFF: 512 }],
  [
    'bert 4 × 8 heads, d 128, dFF 512',
    { ...base('bert-austen'), layers: 4, heads: 8, dModel: 128, dFF: 512 },
  ],
  ['switch-austen', base('switch-austen')],
  [
    'switch 2 × 8 heads × 8 experts, d 128',
    { ...base('switch-austen'), heads: 8, dModel: 128, experts: 8 },
  ],
  ['vgg-fashion', base('vgg-fashion')],
  ['vgg 32-64, fc 128', { ...base('vgg-fashion'), channels: '32,64', fc: '128' }],
  ['vgg 16-32, fc 128', { ...base('vgg-fashion'), fc: '128' }],
  ['mlp-spiral', base('mlp-spiral')],
  ['mlp 32-32-32', { ...base('mlp-spiral'), hidden: '32,32,32' }],
];

async function main() {
  if (!isNodeBackend(backend) || backend === 'webgpu') throw new RangeError('--backend wasm|cpu');
  const { description } = await setupNodeBackend(backend);
  const rows: { name: string; modules: number; msPerStep: number; ratio: number }[] = [];
  let ref = 0;
  for (const [name, cfg] of CANDIDATES) {
    const s = new Session({ ...cfg, policy: 'vanilla', backend }, loadTaskDataFromDisk(cfg));
    const ms: number[] = [];
    for (let i = 0; i < steps + 3; i++) {
      const { r, ms: t } = await timedAdvance(s);
      r.loss.dispose();
      if (i >= 3) ms.push(t);
    }
    const m = median(ms);
    if (!name.includes(' ')) ref = m;
    rows.push({ name, modules: s.modules.length, msPerStep: m, ratio: m / ref });
    console.log(
      `${name}: ${s.modules.length} modules, ${m.toFixed(0)} ms/step (${(m / ref).toFixed(2)} × its preset)`,
    );
    s.dispose();
  }
  const here = dirname(fileURLToPath(import.meta.url));
  mkdirSync(join(here, 'results'), { recursive: true });
  const file = join(here, 'results', `wide-candidates-${backend}.json`);
  writeFileSync(
    file,
    JSON.stringify({ date: new Date().toISOString(), backend: description, steps, rows }, null, 2),
  );
  console.log(`wrote ${file}`);
  process.exit(0);
}

await main();
