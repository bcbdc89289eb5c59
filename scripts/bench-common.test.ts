/**
 * The pure parts of `npm run bench` (bench/common.ts): reading the PyTorch peer's line, the
 * parameter check and the ratios; and, where /usr/bin/python3 has torch, that the peer
 * (bench/torch_step.py) builds exactly the lab model's parameters for a non-default size. Here
 * rather than in bench/ because vitest's include covers src/ and scripts/ only. No timings.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { paramCheck, parseTorchResult, ratio } from '../bench/common';
import { maskCount } from '../src/core/data/mlm';
import { TinyBert } from '../src/core/families/bert/model';
import { createRng } from '../src/core/rng';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

const line = {
  device: 'cpu',
  torch: '1.13.0a0',
  threads: 1,
  msPerStep: 74.9,
  meanMsPerStep: 78.5,
  steps: 30,
  warmup: 5,
  params: 203408,
};

describe('parseTorchResult', () => {
  it('takes the last JSON line, after whatever torch printed before it', () => {
    const out = `UserWarning: something\n{"not": "this"}\n${JSON.stringify(line)}\n`;
    expect(parseTorchResult(out)).toEqual(line);
  });

  it('refuses output without a JSON line, and lines with missing or impossible fields', () => {
    expect(() => parseTorchResult('Traceback …\n')).toThrow(/no JSON line/);
    const { msPerStep: _, ...noMs } = line;
    expect(() => parseTorchResult(JSON.stringify(noMs))).toThrow(/msPerStep/);
    expect(() => parseTorchResult(JSON.stringify({ ...line, msPerStep: null }))).toThrow(
      /msPerStep/,
    );
    expect(() => parseTorchResult(JSON.stringify({ ...line, params: 12.5 }))).toThrow(/params/);
    expect(() => parseTorchResult(JSON.stringify({ ...line, threads: -1 }))).toThrow(/threads/);
    expect(() => parseTorchResult(JSON.stringify({ ...line, device: '' }))).toThrow(/device/);
  });
});

describe('paramCheck and ratio', () => {
  it('says whether the peer has the lab model’s parameters', () => {
    expect(paramCheck(203408, 203408)).toMatchObject({ equal: true });
    const off = paramCheck(203408, 203344);
    expect(off.equal).toBe(false);
    expect(off.note).toMatch(/NOT equal: lab 203408, PyTorch 203344/);
  });

  it('is a / b, null where either is missing or the quotient is not finite', () => {
    expect(ratio(30, 12)).toBe(2.5);
    expect(ratio(null, 12)).toBeNull();
    expect(ratio(30, undefined)).toBeNull();
    expect(ratio(30, 0)).toBeNull();
    expect(ratio(Number.NaN, 2)).toBeNull();
  });
});

const hasTorch = spawnSync('/usr/bin/python3', ['-c', 'import torch']).status === 0;

// Skipped only where /usr/bin/python3 has no torch (the peer cannot run); CI's .ci/run installs
// Debian's python3-torch, so it runs there.

describe.skipIf(!hasTorch)('bench/torch_step.py', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('builds the lab model’s parameter count for a non-default size, and times its steps', () => {
    const size = { layers: 1, heads: 2, dModel: 16, dFF: 24, seqLen: 8, vocab: 50 };
    const model = new TinyBert(size, createRng(1));
    const lab = model.allVariables().reduce((n, v) => n + v.size, 0);
    model.dispose();
    const config = { ...size, batch: 3, masked: maskCount(size.seqLen), lr: 1e-3 };
    const r = spawnSync(
      '/usr/bin/python3',
      [join(root, 'bench', 'torch_step.py'), JSON.stringify({ ...config, steps: 3, warmup: 1 })],
      { encoding: 'utf8' },
    );
    expect(r.stderr).toBe('');
    const peer = parseTorchResult(r.stdout);
    expect(peer.params).toBe(lab);
    expect(peer.steps).toBe(3);
    // A `masked` that is not the lab's M for T describes another step: refused.
    const bad = spawnSync(
      '/usr/bin/python3',
      [join(root, 'bench', 'torch_step.py'), JSON.stringify({ ...config, masked: 3 })],
      { encoding: 'utf8' },
    );
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/masked 3 is not the lab's 1/);
  });
});
