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
