import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { unzipSync, strFromU8 } from 'fflate';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../../core/config';
import { DEFAULT_CONFIG } from '../../core/config';
import type { RunFile } from '../../core/runfile';
import { validateRunFile } from '../../core/runfile';
import { Session } from '../../core/session';
import { setupNodeBackend } from '../../node/backend';
import { loadCorpusFromDisk, loadFashionFromDisk } from '../../node/deps';
import { fillTemplate, torchExportFiles, torchExportProblem, torchExportZip } from './files';
import { TORCH_TEMPLATES } from './templates';

/*
 * "Export as PyTorch" against the lab (issue 13): the exported mat_train.py, run by a python3
 * with PyTorch (Debian's python3-torch, installed by .ci/run), on run files the lab's own Session
 * writes here on the WASM backend.
 */

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const DATA = join(ROOT, 'public', 'data');

/** The first python3 that imports torch with gloo: $MAT_PYTHON, python3 on PATH, Debian's. */
function torchPython(): string {
  const candidates = [process.env.MAT_PYTHON, 'python3', '/usr/bin/python3'].filter(
    (p): p is string => Boolean(p),
  );
  for (const py of candidates) {
    const r = spawnSync(py, ['-c', 'import torch.distributed as d; assert d.is_gloo_available()']);
    if (r.status === 0) return py;
  }
  throw new Error(
    `No python3 with PyTorch and gloo (tried ${candidates.join(', ')}): apt-get install ` +
      '--no-install-recommends python3-torch (.ci/run does), or set MAT_PYTHON.',
  );
}

/** Runs python with `args` in `cwd`; its stdout, or an error with its stderr. */
function python(py: string, args: string[], cwd: string, timeoutMs = 120_000) {
  const t0 = performance.now();
  const r = spawnSync(py, args, { cwd, encoding: 'utf8', timeout: timeoutMs });
  const ms = performance.now() - t0;
  if (r.status !== 0) {
    throw new Error(`python ${args.join(' ')} failed (${r.status}): ${r.stderr}\n${r.stdout}`);
  }
  return { stdout: r.stdout, ms };
}

/** The script's closing summary line (JSON), from its stdout (torchrun prefixes `[default0]:`). */
function summary(stdout: string): { trainSeconds: number; medianStepMs: number; world: number } {
  const line = stdout.split('\n').find((l) => l.includes('"out"'))!;
  return JSON.parse(line.slice(line.indexOf('{'))) as {
    trainSeconds: number;
    medianStepMs: number;
    world: number;
  };
}

/** A free TCP port on localhost (torchrun's rendezvous; 29500 may be taken by another run). */
function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
  });
}

const relErr = (a: number, b: number) => (a === b ? 0 : Math.abs(a - b) / Math.abs(b));

/** A lab run: `steps` Session steps (WASM backend), exported as the page exports it. */
async function labRun(config: ExperimentConfig, steps: number): Promise<RunFile> {
  const data =
    config.model === 'bert'
      ? loadCorpusFromDisk()
      : { fashion: loadFashionFromDisk(config.images) };
  const s = new Session(config, data);
  const m: RunFile['metrics'] = { step: [], loss: [], flops: [], vanillaFlops: [] };
  for (let i = 0; i < steps; i++) {
    const r = await s.advance();
    m.step.push(r.step);
    m.loss.push((await r.loss.data())[0]!);
    r.loss.dispose();
    m.flops.push(r.totalFlops);
    m.vanillaFlops.push(r.totalVanillaFlops);
  }
  const backend = { backend: 'wasm', adapter: '', isFallbackAdapter: false };
  const file = await s.exportRun(backend, m, { step: [], perplexity: [] });
  s.dispose();
  return JSON.parse(JSON.stringify(file)) as RunFile;
}

/** Tiny BERT: every module kind (heads, FFN blocks, embeddings), the projected trace kernel. */
const BERT: ExperimentConfig = {
  ...DEFAULT_CONFIG,
  layers: 2,
  heads: 2,
  dModel: 8,
  dFF: 16,
  seqLen: 8,
  vocab: 64,
  batch: 4,
  probe: 4,
  R: 2,
  K: 2,
  warmup: 2,
  window: 1,
  alpha: 1,
  beta: 0.05,
  modules: 'heads,ffn,embed',
  backend: 'wasm',
  // A slider move and an override, replayed at the same steps by the script.
  events: [
    { step: 5, name: 'alpha', value: 0.8 },
    { step: 7, name: 'override', module: 'L0.H1', mode: 'off' },
  ],
};
/** Tiny VGG: groups of 2 filters in 4 + 4 + 4 + 4 channels, the exact trace kernel (R' = 10). */
const VGG: ExperimentConfig = {
  ...DEFAULT_CONFIG,
  model: 'vgg',
  data: 'fashion',
  channels: '4,4',
  groupSize: 2,
  images: 100,
  batch: 4,
  probe: 2,
  K: 2,
  warmup: 2,
  window: 1,
  alpha: 1,
  beta: 0.05,
  backend: 'wasm',
};
/** Steps of the BERT run the script retrains. */
const BERT_STEPS = 12;

let py: string;
let dir: string;
const runs: Record<string, RunFile> = {};

beforeAll(async () => {
  py = torchPython();
  // WASM: the VGG's convolutions run ≈ 3× faster than on the cpu backend (same float32 results).
  await setupNodeBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'mat-torch-'));
  runs['bert-mat'] = await labRun(BERT, BERT_STEPS);
  runs['bert-random'] = await labRun(
    { ...BERT, modules: 'heads', kernel: 'loss', policy: 'random', events: [] },
    8,
  );
  runs['bert-init'] = await labRun(BERT, 0);
  runs['vgg-mat'] = await labRun(VGG, 6);
  runs['vgg-progressive'] = await labRun(
    { ...VGG, kernel: 'step', policy: 'progressive', progSpan: 2, stop: 'sticky' },
    6,
  );
  runs['vgg-init'] = await labRun(VGG, 0);
  for (const [name, run] of Object.entries(runs)) {
    writeFileSync(join(dir, `${name}.json`), JSON.stringify(run));
  }
  // The export of the BERT run, as `npm run export:torch -- bert-mat.json` writes it.
  mkdirSync(join(dir, 'export'));
  const files = torchExportFiles(
    { config: runs['bert-mat'].config, dataSource: DATA, steps: BERT_STEPS, origin: 'a test' },
    TORCH_TEMPLATES,
  );
  for (const [path, text] of Object.entries(files)) writeFileSync(join(dir, 'export', path), text);
}, 120_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('the exported folder', () => {
  it('holds the script, data preparation, requirements, README and config; zips them', () => {
    const files = torchExportFiles(
      { config: BERT, dataSource: 'http://lab/data/', steps: 30, origin: 'a test' },
      TORCH_TEMPLATES,
    );
    expect(Object.keys(files).sort()).toEqual([
      'README.md',
      'config.json',
      'mat_train.py',
      'prepare_data.py',
      'requirements.txt',
    ]);
    const config = JSON.parse(files['config.json']!) as ExperimentConfig;
    expect(config).toEqual({ ...BERT, stopAt: 30 });
    expect(files['prepare_data.py']).toContain('DEFAULT_SOURCE = "http://lab/data/"');
    expect(files['README.md']).toContain('torchrun --nproc_per_node=2 mat_train.py');
    expect(files['README.md']).toContain('--rdzv_backend c10d');
    expect(files['README.md']).not.toMatch(/\{\{/);
    expect(files['requirements.txt']).toMatch(/^torch>=1\.13$/m);

    const zip = unzipSync(torchExportZip('mat-torch-bert-seed1', files));
    expect(Object.keys(zip).sort()).toEqual(
      Object.keys(files)
        .map((p) => `mat-torch-bert-seed1/${p}`)
        .sort(),
    );
    expect(strFromU8(zip['mat-torch-bert-seed1/mat_train.py']!)).toBe(files['mat_train.py']);
  });

  it('refuses the families the script does not cover, naming them', () => {
    expect(torchExportProblem({ model: 'switch' })).toMatch(/covers bert and vgg; the Switch/);
    expect(torchExportProblem({ model: 'mlp' })).toMatch(/MLP is not ported/);
    expect(torchExportProblem({ model: 'vgg' })).toBeNull();
    // The VGG's classifier stages (fc) are not ported yet.
    expect(torchExportProblem({ model: 'vgg', fc: '64' })).toMatch(
      /without classifier stages; this one has fc = 64/,
    );
    expect(torchExportProblem({ model: 'vgg', fc: 'none' })).toBeNull();
    expect(() =>
      torchExportFiles(
        { config: { ...BERT, model: 'mlp', data: 'spiral' }, dataSource: '', origin: '' },
        TORCH_TEMPLATES,
      ),
    ).toThrow(/MLP is not ported/);
    expect(() => fillTemplate('{{NOPE}}', {})).toThrow(/\{\{NOPE\}\}, which has no value/);
  });
});

describe('mat_train.py against the lab', () => {
  it('prepare_data.py copies the lab’s data and checks it', () => {
    const { stdout } = python(py, ['prepare_data.py', '--source', DATA], join(dir, 'export'));
    expect(stdout).toMatch(/austen\/train\.bin: 1557504 bytes/);
    // A corrupted file is refused by its checksum.
    const bad = join(dir, 'bad-data');
    mkdirSync(join(bad, 'austen'), { recursive: true });
    for (const f of ['meta.json', 'vocab.json', 'val.bin']) {
      writeFileSync(join(bad, 'austen', f), readFileSync(join(DATA, 'austen', f)));
    }
    const train = readFileSync(join(DATA, 'austen', 'train.bin'));
    train[100] = train[100]! ^ 1;
    writeFileSync(join(bad, 'austen', 'train.bin'), train);
    expect(() =>
      python(
        py,
        ['prepare_data.py', '--source', bad, '--dest', join(dir, 'bad-out')],
        join(dir, 'export'),
      ),
    ).toThrow(/train\.bin: sha256 .* meta\.json says/);
  });

  it('λmax per module ≤ 1e-4 relative, decisions identical, FLOPs, probe and init equal', () => {
    const names = Object.keys(runs);
    const out = join(dir, 'check.json');
    const args = ['mat_train.py', 'check', ...names.map((n) => join(dir, `${n}.json`))];
    python(py, [...args, '--data', DATA, '--out', out], join(dir, 'export'));
    const check = JSON.parse(readFileSync(out, 'utf8')) as {
      runs: {
        file: string;
        modules: string[];
        lambdaMax: number[];
        decisions: { step: number; updating: boolean[]; reasons: string[] }[];
        flops: number[];
        perVanillaStep: number;
        perEvaluation: number;
        probe: Record<string, number[]>;
        initialWeights: Record<string, number[]>;
      }[];
    };
    const worst: Record<string, number> = {};
    let decisions = 0;
    check.runs.forEach((c, i) => {
      const name = names[i]!;
      const run = runs[name]!;
      expect(c.modules).toEqual(run.modules.map((m) => m.id));
      // λmax on the file's weights and probe. The lab's value is its float32 fast path; the
      // script's forward and backward run in float32 too, its Grams and eigenvalues in float64:
      // they differ by float32 rounding of sums of 10²–10⁴ products (measured ≤ 9e-7), while a
      // wrong term (a missing bias row, a wrong weight w, a shifted patch) is O(1) relative.
      const lab = run.exportEvaluation!.lambdaMax;
      const err = Math.max(...c.lambdaMax.map((v, m) => relErr(v, lab[m]!)));
      expect(err, name).toBeLessThanOrEqual(1e-4);
      worst[run.config.model] = Math.max(worst[run.config.model] ?? 0, err);
      // Decisions replayed from the file's λmax history: identical, reasons included.
      expect(c.decisions.length).toBe(run.evaluations.length);
      c.decisions.forEach((d, e) => {
        expect(d.updating, `${name} @${d.step}`).toEqual(run.evaluations[e]!.updating);
        expect(d.reasons, `${name} @${d.step}`).toEqual(run.evaluations[e]!.reasons);
        decisions++;
      });
      // Cumulative FLOPs by the lab's formulas for those decisions: integers, so equal exactly.
      expect(c.flops, name).toEqual(run.metrics.flops);
      expect(c.perVanillaStep).toBe(run.flops.perVanillaStep);
      expect(c.perEvaluation).toBe(run.flops.perEvaluation);
      // The probe and the initial weights regenerated from the seed by the lab's random streams.
      for (const [k, v] of Object.entries(c.probe)) {
        expect(v, `${name} probe.${k}`).toEqual(run.probe[k as keyof RunFile['probe']]);
      }
      if (run.step === 0) {
        for (const w of run.weights) expect(c.initialWeights[w.name], w.name).toEqual(w.values);
      }
    });
    // Some decisions freeze or stop modules (else "identical" would say little).
    const reasons = new Set(check.runs.flatMap((c) => c.decisions.flatMap((d) => d.reasons)));
    for (const r of [
      'frozen-alpha',
      'stopped-beta',
      'forced-off',
      'random-off',
      'frozen-schedule',
    ]) {
      expect(reasons, r).toContain(r);
    }
    console.log(
      `torch export: max relative λmax error ${JSON.stringify(worst)}, ${decisions} decisions identical`,
    );
  });

  it('trains the lab’s run in one process and in two (gloo), run files the lab imports', async () => {
    const cwd = join(dir, 'export');
    const lab = runs['bert-mat']!;
    const one = python(py, ['mat_train.py', '--out', 'one.json', '--log-every', '0'], cwd);
    const port = await freePort();
    const torchrun = ['-m', 'torch.distributed.run', '--nproc_per_node=2', '--master_port'];
    // --redirects / --tee: Debian's torch 1.13 on Python 3.11 cannot parse their defaults.
    const flags = [String(port), '--redirects', '1', '--tee', '1', '--monitor_interval', '0.2'];
    const two = python(
      py,
      [...torchrun, ...flags, 'mat_train.py', '--out', 'two.json', '--log-every', '0'],
      cwd,
    );
    for (const [file, world] of [
      ['one.json', 1],
      ['two.json', 2],
    ] as const) {
      // The lab's own importer: schema and cross-field checks.
      const run = validateRunFile(JSON.parse(readFileSync(join(cwd, file), 'utf8')));
      expect(run.step).toBe(BERT_STEPS);
      expect(run.backend.adapter).toContain(`${world} process(es)`);
      // The same run as the lab's: same initial weights, probe, batches and events. Losses and
      // λmax differ by float32 rounding in another summation order (measured ≤ 2.3e-7 and
      // ≤ 7.1e-6 over 12 steps; two processes average their halves' gradients), while one
      // decision or batch apart moves them by 1e-3 or more.
      let lossErr = 0;
      run.metrics.loss.forEach((l, t) => {
        const err = relErr(l!, lab.metrics.loss[t]!);
        expect(err, `${file} loss @${t + 1}`).toBeLessThan(1e-4);
        lossErr = Math.max(lossErr, err);
      });
      expect(run.evaluations.map((e) => e.reasons)).toEqual(lab.evaluations.map((e) => e.reasons));
      let lambdaErr = 0;
      run.evaluations.forEach((e, i) => {
        e.lambdaMax.forEach((v, m) => {
          const err = relErr(v!, lab.evaluations[i]!.lambdaMax[m]!);
          expect(err, `${file} λmax @${e.step}`).toBeLessThan(1e-4);
          lambdaErr = Math.max(lambdaErr, err);
        });
      });
      console.log(
        `torch export, ${file} vs the lab's run: losses ≤ ${lossErr.toExponential(1)}, ` +
          `λmax ≤ ${lambdaErr.toExponential(1)} relative`,
      );
      expect(run.metrics.flops).toEqual(lab.metrics.flops);
      expect(run.events).toEqual(lab.events);
    }
    const s1 = summary(one.stdout);
    const s2 = summary(two.stdout);
    expect([s1.world, s2.world]).toEqual([1, 2]);
    console.log(
      `torch export, ${BERT_STEPS} steps of the tiny BERT: 1 process ${(one.ms / 1000).toFixed(1)} s ` +
        `wall (training ${s1.trainSeconds.toFixed(2)} s, ${s1.medianStepMs.toFixed(1)} ms/step), ` +
        `2 processes ${(two.ms / 1000).toFixed(1)} s wall (training ${s2.trainSeconds.toFixed(2)} s, ` +
        `${s2.medianStepMs.toFixed(1)} ms/step)`,
    );
  });
});
