import { expect, test } from './fixtures';
import { expectChartDrawn, TINY } from './lab.page';

test('default page trains on WebGPU', async ({ lab }) => {
  await lab.open({ ...TINY, backend: 'webgpu' });
  await lab.waitForReady();
  await lab.play.click();
  await lab.waitForStep(6);

  // The silent-WebGL trap: TF.js inside the worker must really run on WebGPU.
  const status = await lab.assertWebGPU();
  test.info().annotations.push({
    type: 'adapter',
    description: `${status.adapter} (fallback: ${status.isFallbackAdapter})`,
  });

  await expectChartDrawn(lab.lossChart, 'chart.loss');
  await expect(lab.backendBadge).toContainText('WebGPU');
  await expect(lab.compute).toBeVisible();
  // Where compute went: the split by part sums to the totals shown; MAT pays for its mNTK.
  const split = await lab.expectComputeSplitSums();
  expect(split.parts.find((p) => p.part === 'kernel')!.run).toBeGreaterThan(0);
  await expect(lab.errorPanel).toBeHidden();
});

test('forcing backend=wasm works', async ({ lab }) => {
  await lab.open({ ...TINY, backend: 'wasm' });
  await lab.waitForReady();
  await lab.play.click();
  await lab.waitForStep(4);

  const status = await lab.lab.status();
  expect(status.backend, 'backend inside the worker').toBe('wasm');
  await expect(lab.backendBadge).toContainText(/wasm/i);
  await expect(lab.errorPanel).toBeHidden();
});

test('the loss chart keys its lines and shows its tooltip while the pointer is over it', async ({
  lab,
  page,
}) => {
  await lab.open('preset=mlp-circles&backend=wasm&stopAt=30&autoplay=1');
  await lab.waitForReady();
  await lab.waitForStep(30);
  await lab.waitForPaused();
  // The key is an HTML list under the plot, one item per line.
  await expect(lab.lossChart.locator('.chart-legend li')).toHaveText([
    'train loss (raw)',
    'train loss (smoothed 0.9)',
    'validation accuracy',
  ]);
  // No tooltip is mounted (nor recomputed at each redraw) until the pointer comes over the plot.
  const tooltip = lab.lossChart.locator('.recharts-tooltip-wrapper');
  await expect(tooltip).toHaveCount(0);
  const plot = lab.lossChart.locator('.recharts-wrapper > svg.recharts-surface');
  await plot.scrollIntoViewIfNeeded();
  const box = (await plot.boundingBox())!;
  for (const f of [0.4, 0.5, 0.6])
    await page.mouse.move(box.x + box.width * f, box.y + box.height / 2, { steps: 4 });
  await expect(tooltip).toContainText(/step \d+/);
  await expect(tooltip).toContainText('train loss (smoothed 0.9)');
  await page.mouse.move(0, 0);
  await expect(tooltip).toHaveCount(0);
});
