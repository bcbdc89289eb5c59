import { fileURLToPath } from 'node:url';
import { expect, test } from './fixtures';
import { expectChartDrawn, TINY } from './lab.page';

/**
 * The report panel loads a report of `npm run reproduce` (a committed --quick report of the
 * mlp-spiral preset) and draws metric against FLOPs per policy; a malformed file shows a
 * message and keeps what was loaded; the lab's own run joins the chart when it trains the
 * report's preset.
 */
const FIXTURE = fileURLToPath(new URL('./fixtures/report.json', import.meta.url));
const POLICY_ROWS = 4;

test('a report loads and draws; malformed files give a message and lose nothing', async ({
  lab,
  page,
}) => {
  await lab.open(TINY);
  await lab.waitForReady();
  const panel = page.getByTestId('panel.report');
  const file = page.getByTestId('report.file');
  const error = page.getByTestId('report.error');
  const chart = page.getByTestId('chart.report');

  await file.setInputFiles({
    name: 'notes.txt',
    mimeType: 'text/plain',
    buffer: Buffer.from('not json at all'),
  });
  await expect(error).toContainText(/notes\.txt was not loaded.*not JSON/);
  await expect(chart).toHaveCount(0);

  await file.setInputFiles(FIXTURE);
  await expect(error).toBeHidden();
  await expectChartDrawn(chart, 'report chart');
  await expect(chart.locator('.recharts-line')).toHaveCount(POLICY_ROWS);
  await expect(page.getByTestId('report.table').locator('tbody tr')).toHaveCount(POLICY_ROWS);
  await expect(page.getByTestId('report.summary')).toContainText('mlp-spiral');
  // The tiny BERT of this page is not the report's MLP: no overlay, and the panel says why.
  await expect(page.getByTestId('report.lab')).toContainText(
    /differs from the report's preset in model/,
  );

  const broken = { format: 'mat-lab-report', version: 1, runs: [] };
  await file.setInputFiles({
    name: 'broken.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(broken)),
  });
  await expect(error).toContainText(/broken\.json was not loaded.*not a MAT Lab report/);
  await expect(error).toContainText('Still showing report.json');
  await expect(chart.locator('.recharts-line')).toHaveCount(POLICY_ROWS);
  await expect(panel).toBeVisible();
});

test('the lab run of the same preset is drawn with the report', async ({ lab, page }) => {
  await lab.open({ preset: 'mlp-spiral', K: 2, warmup: 2, valEvery: 4 });
  await lab.waitForReady();
  await page.getByTestId('report.file').setInputFiles(FIXTURE);
  await expect(page.getByTestId('report.lab')).toContainText(/same model and data/);
  await lab.play.click();
  await lab.waitForStep(8);
  await lab.pause.click();
  // Vanilla, MAT, random, progressive and this lab run.
  await expect(page.getByTestId('chart.report').locator('.recharts-line')).toHaveCount(
    POLICY_ROWS + 1,
  );
});
