import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { DEFAULT_MODULES } from './transformer/selection';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadTaskDataFromDisk } from '../../node/deps';
import { presetConfig } from '../presets';
import { testRng } from '../testing/fake-rng';
import { FAMILIES, MODELS, MODEL_DATA } from './descriptors';
import { FAMILY_CODE, createTask } from './index';
import { MODULE_KINDS } from './module-kinds';

const DIR = import.meta.dirname;
/** Folders of code shared by several families (not families themselves). */
const SHARED = ['transformer'];
/** Every family folder must have these files: its parts and their tests against a reference. */
const PARTS = [
  'descriptor.ts',
  'index.ts',
  'model.ts',
  'kernel.ts',
  'oracle.ts',
  'flops.ts',
  'task.ts',
  'kernel.test.ts',
  'flops.test.ts',
  'pruning.test.ts',
];
const source = (family: string, file: string) => readFileSync(join(DIR, family, file), 'utf8');

describe('the family registry', () => {
  it('registers every family folder, and each under its own name', () => {
    const folders = readdirSync(DIR).filter(
      (f) => statSync(join(DIR, f)).isDirectory() && !SHARED.includes(f),
    );
    expect([...folders].sort()).toEqual([...MODELS].sort());
    for (const m of MODELS) {
      expect(FAMILY_CODE[m].descriptor).toBe(FAMILIES[m]);
      expect(FAMILIES[m].id).toBe(m);
      expect(MODEL_DATA[m]).toEqual(FAMILIES[m].data);
      expect(FAMILIES[m].data.length).toBeGreaterThan(0);
      for (const kind of FAMILIES[m].moduleKinds) expect(MODULE_KINDS).toHaveProperty(kind);
    }
  });

  it.each(MODELS)('%s has every part, each with its test against a reference', (m) => {
    for (const file of PARTS) expect(existsSync(join(DIR, m, file)), `${m}/${file}`).toBe(true);
    const { parts } = FAMILY_CODE[m];
    // The fast kernel is compared with the oracle, the FLOP formulas with hand counts.
    const kernelTest = source(m, 'kernel.test.ts');
    expect(kernelTest).toContain(parts.fastKernels.name);
    expect(kernelTest).toContain(parts.oracleKernels.name);
    const flopsTest = source(m, 'flops.test.ts');
    expect(flopsTest).toContain(parts.stepFlops.name);
    expect(flopsTest).toContain(parts.evaluationFlops.name);
    // Pruning: frozen modules' weight gradients are proven absent from the executed kernels.
    expect(source(m, 'pruning.test.ts')).toMatch(/tf\.profile|profile[A-Z]\w*\(/);
  });

  it('has at least one preset per family, and the presets train on the family’s data', () => {
    for (const m of MODELS) {
      const presets = FAMILIES[m].presets;
      expect(presets.length, m).toBeGreaterThan(0);
      for (const p of presets) {
        const config = presetConfig(p.id)!;
        expect(config.model).toBe(m);
        expect(MODEL_DATA[m]).toContain(config.data);
      }
    }
  });
});

describe('each family’s task', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it.each(MODELS)('%s: its modules are of the kinds its descriptor names', (m) => {
    const preset = FAMILIES[m].presets[0]!;
    const base = presetConfig(preset.id)!;
    // The preset's modules, and where the family reads `modules` every kind it can make one.
    const configs = [base];
    if (FAMILIES[m].fields.includes('modules'))
      configs.push({ ...base, modules: 'heads,ffn,embed' });
    // Where the family reads `fc`, with a hidden classifier stage (its unit groups).
    if (FAMILIES[m].fields.includes('fc')) configs.push({ ...base, fc: '16' });
    const seen = new Set<string>();
    const before = tf.memory().numTensors;
    for (const config of configs) {
      const task = createTask(config, loadTaskDataFromDisk(config), testRng(1));
      try {
        const kinds = [...new Set(task.modules.map((x) => x.kind))];
        for (const kind of kinds) {
          expect(FAMILIES[m].moduleKinds).toContain(kind);
          seen.add(kind);
        }
        expect(task.metric).toEqual(FAMILIES[m].metric);
        expect(task.model).toBeInstanceOf(FAMILY_CODE[m].parts.model);
      } finally {
        task.dispose();
      }
    }
    // Every kind the descriptor names is one some config gives.
    expect([...seen].sort()).toEqual([...FAMILIES[m].moduleKinds].sort());
    expect(tf.memory().numTensors).toBe(before);
  });

  it.each(MODELS.filter((m) => FAMILIES[m].fields.includes('modules')))(
    '%s: the default `modules` gives the modules it had before the field existed',
    (m) => {
      // The field's default (the presets now name more kinds, and a link without `modules` means
      // the default).
      const config = { ...presetConfig(FAMILIES[m].presets[0]!.id)!, modules: DEFAULT_MODULES };
      expect(DEFAULT_MODULES).toBe('heads');
      const task = createTask(config, loadTaskDataFromDisk(config), testRng(1));
      const { layers: L, heads: H, experts: E } = config;
      const ids = (letter: string, per: number) =>
        Array.from({ length: L * per }, (_, i) => `L${Math.floor(i / per)}.${letter}${i % per}`);
      // BERT: every head; Switch: every head, then every expert.
      expect(task.modules.map((x) => x.id)).toEqual([
        ...ids('H', H),
        ...(m === 'switch' ? ids('E', E) : []),
      ]);
      task.dispose();
    },
  );
});
