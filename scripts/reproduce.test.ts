/**
 * CI smoke test of `npm run reproduce -- --quick`: it runs the real command into a temporary
 * folder and checks the outputs' structure (files, schema, one table row per policy, SVGs that
 * parse), not the claim. About 1.5 minutes on 2 cores.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { POLICIES } from '../src/core/config';
import { POLICY_LABELS } from '../src/report/markdown';
import { REPRODUCE_PRESETS } from '../src/report/plan';
import { validateReport } from '../src/report/schema';
import { checkXml } from '../src/report/xml-check';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const out = mkdtempSync(join(tmpdir(), 'mat-reproduce-'));

afterAll(() => rmSync(out, { recursive: true, force: true }));

describe('npm run reproduce -- --quick', () => {
  it('runs every preset and policy and writes well-formed outputs', { timeout: 420_000 }, () => {
    const t0 = Date.now();
    const r = spawnSync(
      join(root, 'node_modules', '.bin', 'tsx'),
      ['scripts/reproduce.ts', '--quick', '--out', out],
      {
        cwd: root,
        encoding: 'utf8',
        env: { ...process.env, CI: 'true' },
      },
    );
    const seconds = (Date.now() - t0) / 1000;
    expect(r.status, `exit code; stderr:\n${r.stderr}`).toBe(0);
    console.log(`reproduce --quick took ${seconds.toFixed(0)} s`);
    // Non-TTY output: one line per run, then the summary.
    expect(r.stdout.match(/^\[\s*\d+\/16\] /gm)).toHaveLength(16);
    expect(r.stdout).toMatch(/Summary/);

    const entries = readdirSync(out);
    const summary = entries.find((e) => e.endsWith('-summary.md'));
    expect(summary, `a summary in ${entries.join(', ')}`).toBeDefined();
    const summaryText = readFileSync(join(out, summary!), 'utf8');

    for (const id of REPRODUCE_PRESETS) {
      const dir = entries.find((e) => e.endsWith(`-${id}`));
      expect(dir, `a folder for ${id}`).toBeDefined();
      const path = (f: string) => join(out, dir!, f);
      for (const f of ['report.json', 'table.md', 'metric-vs-flops.svg', 'lambda-heatmap.svg']) {
        expect(existsSync(path(f)), `${id}/${f}`).toBe(true);
      }
      const report = validateReport(JSON.parse(readFileSync(path('report.json'), 'utf8')));
      expect(report.preset.id).toBe(id);
      expect(report.quick).toBe(true);
      expect(report.runs).toHaveLength(POLICIES.length);
      expect(report.summary.map((s) => s.policy)).toEqual([...POLICIES]);
      for (const run of report.runs) {
        expect(run.leakedTensors, `${id} ${run.policy}: tensors left after dispose`).toBe(0);
        expect(run.validation.step[0]).toBe(0);
        expect(run.validation.step[run.validation.step.length - 1]).toBe(report.budget.steps);
      }
      const mat = report.runs.find((x) => x.policy === 'mat');
      expect(mat?.lambda?.lambdaMax.length).toBeGreaterThan(0);
      expect(report.claim).not.toBeNull();

      const table = readFileSync(path('table.md'), 'utf8');
      for (const p of POLICIES)
        expect(table).toMatch(
          new RegExp(`^\\| ${POLICY_LABELS[p].replace(/[()]/g, '\\$&')} \\|`, 'm'),
        );
      expect(summaryText).toContain(`### ${id}`);
      expect(checkXml(readFileSync(path('metric-vs-flops.svg'), 'utf8'))).toBe('svg');
      expect(checkXml(readFileSync(path('lambda-heatmap.svg'), 'utf8'))).toBe('svg');
    }
  });
});

describe('npm run reproduce -- --sweep --quick', () => {
  it('writes the α × β sensitivity table and its JSON', { timeout: 120_000 }, () => {
    const dir = join(out, 'sweep');
    const r = spawnSync(
      join(root, 'node_modules', '.bin', 'tsx'),
      ['scripts/reproduce.ts', '--sweep', '--quick', '--presets', 'mlp-circles', '--out', dir],
      { cwd: root, encoding: 'utf8', env: { ...process.env, CI: 'true' } },
    );
    expect(r.status, `exit code; stderr:\n${r.stderr}`).toBe(0);
    // Vanilla once, then MAT at 3 × 3 grid points.
    expect(r.stdout.match(/^\[\s*\d+\/10\] /gm)).toHaveLength(10);
    const files = readdirSync(dir);
    const md = files.find((f) => f.endsWith('-sensitivity.md'));
    const json = files.find((f) => f.endsWith('-sensitivity.json'));
    expect(md && json, files.join(', ')).toBeTruthy();
    const rows = readFileSync(join(dir, md!), 'utf8')
      .split('\n')
      .filter((l) => /^\| (0\.5|0\.9|1\.3) \|/.test(l));
    expect(rows).toHaveLength(3);
    const data = JSON.parse(readFileSync(join(dir, json!), 'utf8')) as {
      runs: { policy: string; alpha: number; beta: number }[];
    }[];
    expect(data[0]!.runs.filter((x) => x.policy === 'mat')).toHaveLength(9);
    expect(new Set(data[0]!.runs.map((x) => `${x.alpha}/${x.beta}`)).size).toBe(9);
  });
});
