import { expect, test } from './fixtures';
import { expectChartDrawn } from './lab.page';

/**
 * Each model preset trains on WebGPU inside the worker, its heatmap fills with the right
 * number of modules, and its model-specific view renders.
 */
const PRESETS = [
  {
    preset: 'mlp-spiral',
    // Steps trained and evaluations awaited (K = 2).
    steps: 8,
    evaluations: 3,
    modules: 16,
    kind: 'neuron',
    view: 'boundary',
    params: { K: '2', warmup: '2', valEvery: '4', points: '120' },
  },
  {
    preset: 'mlp-circles',
    // Steps trained and evaluations awaited (K = 2).
    steps: 8,
    evaluations: 3,
    modules: 6,
    kind: 'neuron',
    view: 'boundary',
    params: { K: '2', warmup: '2', valEvery: '4', points: '120' },
  },
  {
    preset: 'bert-austen',
    // 2 layers × 4 heads, 2 FFN blocks, the embeddings; the step kernel.
    steps: 8,
    evaluations: 3,
    modules: 11,
    kind: 'head,ffn,embed',
    view: 'none',
    params: {
      K: '2',
      warmup: '2',
      valEvery: '8',
      dModel: '32',
      dFF: '32',
      vocab: '300',
      seqLen: '16',
      batch: '4',
      probe: '4',
    },
  },
  {
    preset: 'switch-austen',
    // 2 layers × (4 heads + 4 experts), the embeddings; the step kernel.
    // Steps trained and evaluations awaited (K = 2).
    steps: 8,
    evaluations: 3,
    modules: 17,
    kind: 'head,expert,embed',
    view: 'router',
    params: {
      K: '2',
      warmup: '2',
      valEvery: '8',
      dModel: '32',
      dFF: '32',
      vocab: '300',
      seqLen: '16',
      batch: '4',
      probe: '4',
    },
  },
  {
    preset: 'vgg-fashion',
    // 4 conv layers of 8, 8, 16, 16 channels in groups of 4
    // Fewer steps: SwiftShader's WebGPU convolutions are ≈ 10⁴× slower than a GPU's.
    steps: 4,
    evaluations: 2,
    modules: 12,
    kind: 'filters',
    view: 'confusion',
    params: {
      K: '2',
      warmup: '2',
      valEvery: '8',
      channels: '8,16',
      groupSize: '4',
      images: '200',
      batch: '8',
      probe: '4',
    },
  },
] as const;

for (const p of PRESETS) {
  test(`preset ${p.preset} trains on WebGPU with ${p.modules} modules and its view`, async ({
    lab,
    page,
  }) => {
    await lab.open({ preset: p.preset, backend: 'webgpu', ...p.params });
    await lab.waitForReady();
    await lab.play.click();
    await lab.waitForStep(p.steps);
    await lab.assertWebGPU();
    const mods = await lab.lab.modules();
    expect(mods).toHaveLength(p.modules);
    expect(mods.every((m) => Number.isFinite(m.lambdaMax) && m.lambdaMax >= 0)).toBe(true);
    expect([...new Set(mods.map((m) => m.kind))].join(',')).toBe(p.kind);
    await lab.waitForEvaluations(p.evaluations);
    await expectChartDrawn(lab.heatmap, 'chart.heatmap');
    const view = page.getByTestId('view.model');
    if (p.view === 'none') await expect(view).toHaveCount(0);
    else await expect(view).toHaveAttribute('data-kind', p.view);
    if (p.view === 'boundary') {
      // The network diagram marks each neuron as the trainer decided (paused: stable state).
      await lab.pause.click();
      await lab.waitForPaused();
      const decided = await lab.lab.modules();
      const circles = page.getByTestId('view.network').locator('circle[data-module]');
      await expect(circles).toHaveCount(p.modules);
      const drawn = await circles.evaluateAll((cs) =>
        cs.map((c) => [c.getAttribute('data-module'), c.getAttribute('data-updating') === '1']),
      );
      expect(Object.fromEntries(drawn)).toEqual(
        Object.fromEntries(decided.map((m) => [m.id, m.updating])),
      );
    }
    await lab.expectComputeSplitSums();
    if (p.view === 'router') await expect(page.getByTestId('router.coupling')).toBeVisible();
    if (p.view === 'confusion')
      await expect(view.locator('table.confusion tbody tr')).toHaveCount(10);
    await expect(lab.errorPanel).toBeHidden();
  });
}

test('the full Fashion-MNIST set loads with a progress bar and trains', async ({ lab, page }) => {
  // 6,000 training images need more than the committed subset: the four gzipped IDX files.
  await lab.open({
    preset: 'vgg-fashion',
    backend: 'webgpu',
    images: '6000',
    channels: '8,16',
    groupSize: '8',
    batch: '4',
    probe: '2',
    K: '2',
    warmup: '2',
    valEvery: '1000',
  });
  await lab.waitForReady(120_000);
  const loads = await page.evaluate(() => window.__lab!.loads());
  expect(loads.length).toBeGreaterThan(1);
  const last = loads[loads.length - 1]!;
  expect(last.what).toMatch(/full set/);
  // meta.json: the four .gz files hold 30,878,551 bytes; a server that sends them with
  // Content-Encoding: gzip (vite preview does) lets the browser inflate them on the way, and
  // the count is then of the 54,950,048 IDX bytes. Either way the bar ends full.
  expect([30_878_551, 54_950_048]).toContain(last.total);
  expect(last.loaded).toBe(last.total);
  expect(loads.every((l, i) => i === 0 || l.loaded >= loads[i - 1]!.loaded)).toBe(true);
  await lab.step.click();
  await lab.waitForStep(1);
  await expect(lab.errorPanel).toBeHidden();
});
