import { readFile } from 'node:fs/promises';
import { expect, test } from './fixtures';

/** The classroom MLP, small and quick on any backend. */
const CIRCLES = { preset: 'mlp-circles', K: 2, warmup: 2, valEvery: 4, points: 100 };

test('a render error in one panel leaves the rest of the page working, with Export what you have and Reset', async ({
  lab,
  page,
}, testInfo) => {
  await lab.open(CIRCLES);
  await lab.waitForReady();
  await lab.play.click();
  await lab.waitForStep(4);
  await expect(lab.heatmap).toBeVisible();

  // The heatmap throws on its next render (the lab hook's fault, test builds only).
  await page.evaluate(() => window.__lab!.breakPanel('heatmap'));
  const failed = page.getByTestId('panel-error.heatmap');
  await expect(failed).toContainText('The heatmap panel could not be drawn');
  await expect(failed).toContainText('made to fail (test hook)');
  await expect(lab.heatmap).toHaveCount(0);

  // The rest of the page works on: training continues, other panels draw, Pause answers.
  await expect(lab.lossChart).toBeVisible();
  await expect(lab.timeline).toBeVisible();
  const before = (await lab.lab.status()).step;
  await lab.waitForStep(before + 2);
  await lab.pause.click();
  await lab.waitForPaused();

  // Export what you have: the run so far as a file.
  const download = page.waitForEvent('download');
  await failed.getByRole('button', { name: 'Export what you have' }).click();
  const file = testInfo.outputPath('run.json');
  await (await download).saveAs(file);
  const run = JSON.parse(await readFile(file, 'utf8')) as {
    format: string;
    step: number;
    evaluations: { reasons: string[] }[];
  };
  expect(run.format).toBe('mat-lab-run');
  expect(run.step).toBeGreaterThanOrEqual(before + 2);

  // Reset: the panel draws again, on a new run.
  await failed.getByRole('button', { name: 'Reset' }).click();
  await expect(failed).toHaveCount(0);
  await expect(lab.heatmap).toBeVisible();
  expect((await lab.waitForReady()).step).toBe(0);

  // A file whose reasons are not decision reasons is refused, naming the field; nothing blanks.
  run.evaluations[0]!.reasons[0] = '<img src=x onerror=alert(1)>';
  await page.getByLabel('Import a run file').setInputFiles({
    name: 'bad.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(run)),
  });
  await expect(lab.errorPanel).toContainText('bad.json could not be imported');
  await expect(lab.errorPanel).toContainText('evaluations.0.reasons.0');
  await expect(page.locator('img[src="x"]')).toHaveCount(0);
  await expect(lab.heatmap).toBeVisible();
  await expect(lab.play).toBeEnabled();
});
