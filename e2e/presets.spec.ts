import { expect, test } from './fixtures';
import { expectChartDrawn } from './lab.page';

/**
 * Each model preset trains on WebGPU inside the worker, its heatmap fills with the right
 * number of modules, and its model-specific view renders.
 */
const PRESETS = [
  {
    preset: 'mlp-spiral',
    modules: 16,
    kind: 'neuron',
    view: 'boundary',
    params: { K: '2', warmup: '2', valEvery: '4', points: '120' },
  },
  {
    preset: 'mlp-circles',
    modules: 6,
    kind: 'neuron',
    view: 'boundary',
    params: { K: '2', warmup: '2', valEvery: '4', points: '120' },
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
    await lab.waitForStep(8);
    await lab.assertWebGPU();
    const mods = await lab.lab.modules();
    expect(mods).toHaveLength(p.modules);
    expect(
      mods.every((m) => m.kind === p.kind && Number.isFinite(m.lambdaMax) && m.lambdaMax >= 0),
    ).toBe(true);
    await lab.waitForEvaluations(3);
    await expectChartDrawn(lab.heatmap, 'chart.heatmap');
    const view = page.getByTestId('view.model');
    await expect(view).toHaveAttribute('data-kind', p.view);
    await expect(lab.errorPanel).toBeHidden();
  });
}
