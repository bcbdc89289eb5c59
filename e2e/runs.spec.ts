import { mkdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import Papa from 'papaparse';
import { checkXml } from '../src/report/xml-check';
import { expect, test } from './fixtures';
import type { LabPage } from './lab.page';

/**
 * Comparing runs (issue 11): the run list keeps a run another one replaced, ticking it draws its
 * curves over the loss chart, the x axis switches to cumulative FLOPs, and the exports (metrics,
 * run list and λmax CSV; the loss chart and heatmap as PNG and SVG) download files that parse.
 * mlp-circles on WASM with an evaluation every 2 steps: the whole test takes seconds.
 */
const CIRCLES = {
  preset: 'mlp-circles',
  backend: 'wasm',
  K: 2,
  warmup: 2,
  valEvery: 4,
  points: 100,
};

const SHOTS = process.env.SCREENSHOTS === '1';
const REPORT = fileURLToPath(new URL('./fixtures/report.json', import.meta.url));

/** Clicks `button` and returns the downloaded file's name and bytes. */
async function download(page: Page, button: Locator): Promise<{ name: string; bytes: Buffer }> {
  const waiting = page.waitForEvent('download');
  await button.click();
  const d = await waiting;
  const path = await d.path();
  return { name: d.suggestedFilename(), bytes: readFileSync(path) };
}

function parseCsv(bytes: Buffer): string[][] {
  const r = Papa.parse<string[]>(bytes.toString('utf8'), { skipEmptyLines: true });
  expect(r.errors, JSON.stringify(r.errors)).toEqual([]);
  return r.data;
}

/** The PNG signature and the IHDR size (big-endian width, height). */
function pngSize(bytes: Buffer): { width: number; height: number } {
  expect([...bytes.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  expect(bytes.subarray(12, 16).toString('latin1')).toBe('IHDR');
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

/** Line paths recharts drew in the loss chart. */
const linePaths = (chart: Locator) => chart.locator('svg path.recharts-line-curve').count();

async function train(lab: LabPage, steps: number): Promise<void> {
  await lab.play.click();
  await lab.waitForStep(steps);
  await lab.pause.click();
  await lab.waitForPaused();
}

test('run list: a replaced run is kept and drawn over the loss chart by steps and FLOPs; CSV, PNG and SVG downloads parse', async ({
  lab,
  page,
}) => {
  await lab.open(CIRCLES);
  await lab.waitForReady();
  // Longer runs for the screenshot (SCREENSHOTS=1), so the curves show a shape.
  await train(lab, SHOTS ? 150 : 12);
  const list = page.getByTestId('panel.runs');
  await expect(list.locator('tr[data-shown="current"]')).toContainText(
    'mlp-circles* · MAT · seed 1',
  );
  await expect(list.locator('tr[data-shown="kept"]')).toHaveCount(0);

  // Another policy restarts the run: the MAT run joins the list.
  await page
    .locator('label.field', { hasText: /^Policy/ })
    .locator('select')
    .selectOption('vanilla');
  await lab.waitForReady();
  await train(lab, SHOTS ? 100 : 8);
  const kept = list.locator('tr[data-shown="kept"]');
  await expect(kept).toHaveCount(1);
  await expect(kept).toContainText('mlp-circles* · MAT · seed 1');
  await expect(kept).toContainText('policy mat (current vanilla)');
  await expect(list.locator('tr[data-shown="current"]')).toContainText('· vanilla · seed 1');

  // Ticking it draws its loss and validation lines over the chart.
  const before = await linePaths(lab.lossChart);
  expect(before, 'raw, smoothed, validation').toBe(3);
  const tick = kept.getByRole('checkbox');
  await tick.check();
  await expect.poll(() => linePaths(lab.lossChart)).toBe(before + 2);
  const overlay = lab.lossChart.locator('svg .overlay-line path.recharts-line-curve');
  await expect(overlay).toHaveCount(2);
  const d = (await overlay.first().getAttribute('d')) ?? '';
  expect(d.split(/[LC]/).length, 'the overlaid loss has a point per step').toBeGreaterThan(5);

  // Cumulative FLOPs on the x axis: the ticks are FLOP counts, the overlay still drawn.
  // (Recharts draws the tick labels in a layer of their own; only the x axis counts FLOPs.)
  const chartSvg = lab.lossChart.locator('.recharts-wrapper > svg.recharts-surface');
  await expect(chartSvg).not.toContainText(/FLOP/);
  await page.getByTestId('loss.x.flops').check();
  await expect(chartSvg).toContainText(/\d (k|M)?FLOP/, { timeout: 10_000 });
  await expect(overlay).toHaveCount(2);
  // The smoothing slider and the log axis redraw without losing a line.
  await lab.setRange(page.getByTestId('loss.smoothing'), 0.5);
  await page.getByTestId('loss.log').check();
  await expect.poll(() => linePaths(lab.lossChart)).toBe(5);

  // Metrics CSV: a row per step (and the step-0 validation), the page's losses exactly.
  const metrics = await download(page, page.getByTestId('export.metrics.csv'));
  expect(metrics.name).toMatch(/^mat-lab-metrics-1-\d+\.csv$/);
  const rows = parseCsv(metrics.bytes);
  expect(rows[0]).toEqual([
    'step',
    'loss',
    'charged_flops',
    'vanilla_flops',
    'median_step_ms',
    'validation_accuracy',
  ]);
  const { steps, loss } = await lab.lab.losses();
  const trained = rows.slice(1).filter((r) => r[1] !== '');
  expect(trained.map((r) => Number(r[0]))).toEqual(steps);
  expect(trained.map((r) => Number(r[1]))).toEqual(loss);
  expect(trained.every((r) => Number(r[2]) > 0 && Number(r[3]) > 0)).toBe(true);
  expect(rows.slice(1).filter((r) => r[5] !== '').length, 'validations').toBeGreaterThanOrEqual(2);

  // Run list CSV: both runs, with the diff and the config as JSON.
  const runs = parseCsv((await download(page, page.getByTestId('export.runs.csv'))).bytes);
  expect(runs).toHaveLength(3);
  const col = (name: string) => runs[0]!.indexOf(name);
  expect(runs.slice(1).map((r) => r[col('policy')])).toEqual(['vanilla', 'mat']);
  expect(runs[2]![col('differs_from_current')]).toBe('policy=mat');
  expect((JSON.parse(runs[2]![col('config')]!) as { policy: string }).policy).toBe('mat');

  // λmax CSV: a row per evaluation × module (6 neurons).
  const lambda = parseCsv((await download(page, page.getByTestId('export.heatmap.csv'))).bytes);
  const evaluations = (await lab.lab.history()).evaluations.length;
  expect(lambda.length - 1).toBe(evaluations * 6);

  // The loss chart and the heatmap as PNG (2 device px per CSS px) and standalone SVG.
  const box = (await chartSvg.boundingBox())!;
  const png = pngSize((await download(page, page.getByTestId('export.loss.png'))).bytes);
  expect(png.width).toBe(Math.round(box.width) * 2);
  expect(png.height).toBeGreaterThanOrEqual(Math.round(box.height) * 2);
  const svg = (await download(page, page.getByTestId('export.loss.svg'))).bytes.toString('utf8');
  expect(checkXml(svg)).toBe('svg');
  expect(svg).not.toContain('var(');
  expect(svg).toContain('mlp-circles* · MAT · seed 1: train loss');
  const heat = pngSize((await download(page, page.getByTestId('export.heatmap.png'))).bytes);
  expect(heat.width).toBeGreaterThan(200);
  const heatSvg = (await download(page, page.getByTestId('export.heatmap.svg'))).bytes.toString();
  expect(checkXml(heatSvg)).toBe('svg');
  expect(heatSvg.match(/<rect /g)!.length).toBeGreaterThan(evaluations * 6);
  await expect(lab.errorPanel).toBeHidden();

  // A reproduction report's runs join the list; one of them drawn adds its validation line.
  await page.getByTestId('report.file').setInputFiles(REPORT);
  await expect(kept).toHaveCount(5);
  const spiral = kept.filter({ hasText: 'mlp-spiral* · MAT · seed 1' });
  await expect(spiral).toContainText('report: report.json');
  await spiral.getByRole('checkbox').check();
  await expect.poll(() => linePaths(lab.lossChart)).toBe(6);

  // Axe on the list (with a kept, drawn run) and the chart with its options, light and dark.
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme });
    await expect(page.locator('html')).toHaveAttribute('data-theme', scheme);
    await page.mouse.move(0, 0);
    const axe = await new AxeBuilder({ page })
      .withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'])
      .include('[data-testid="panel.runs"]')
      .include('[data-testid="chart.loss"]')
      .analyze();
    const found = axe.violations.flatMap((v) =>
      v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}: ${n.failureSummary ?? ''}`),
    );
    expect(found, `${scheme}: ${found.join('\n')}`).toEqual([]);
  }

  // SCREENSHOTS=1 writes docs/screenshots/compare-runs.png (CI leaves the tree clean).
  if (SHOTS) {
    await page.emulateMedia({ colorScheme: 'light' });
    await spiral.getByRole('checkbox').uncheck();
    await page.getByTestId('loss.x.step').check();
    await page.getByTestId('loss.log').uncheck();
    await lab.setRange(page.getByTestId('loss.smoothing'), 0.9);
    await lab.lossChart.scrollIntoViewIfNeeded();
    const a = (await lab.lossChart.boundingBox())!;
    const b = (await list.boundingBox())!;
    // Boxes are in the viewport; a full-page clip is in the page.
    const scrollY = await page.evaluate(() => window.scrollY);
    mkdirSync('docs/screenshots', { recursive: true });
    await page.screenshot({
      path: 'docs/screenshots/compare-runs.png',
      clip: { x: a.x, y: a.y + scrollY, width: a.width, height: b.y + b.height - a.y },
      fullPage: true,
    });
  }
});

test('run list: a reload keeps the list, its overlays and chart options, and the run it replaced; hide=runs hides it', async ({
  lab,
  page,
}) => {
  await lab.open(CIRCLES);
  await lab.waitForReady();
  await train(lab, 8);
  await page
    .locator('label.field', { hasText: /^Policy/ })
    .locator('select')
    .selectOption('vanilla');
  await lab.waitForReady();
  await train(lab, 6);
  const list = page.getByTestId('panel.runs');
  const kept = list.locator('tr[data-shown="kept"]');
  await expect(kept).toHaveCount(1);
  await kept.getByRole('checkbox').check();
  await page.getByTestId('loss.x.flops').check();
  // The page writes the list 0.3 s after a change: wait until IndexedDB has this one.
  await expect
    .poll(() =>
      page.evaluate(
        () =>
          new Promise<string>((done, fail) => {
            const open = indexedDB.open('mat-lab-run-list');
            open.onerror = () => fail(new Error('no run-list database'));
            open.onsuccess = () => {
              const get = open.result.transaction('state').objectStore('state').get('list');
              get.onsuccess = () => {
                const r = get.result as { chartX: string; overlaid: string[] } | undefined;
                done(r ? `${r.chartX} ${r.overlaid.join()}` : 'none');
                open.result.close();
              };
            };
          }),
      ),
    )
    .toMatch(/^flops run-1/);

  // The reload keeps the live vanilla run too; the page starts the link's run anew.
  await page.reload();
  await lab.waitForHook();
  await lab.waitForReady();
  await expect(kept).toHaveCount(2);
  const mat = kept.filter({ hasText: 'mlp-circles* · MAT · seed 1' });
  const vanilla = kept.filter({ hasText: 'mlp-circles* · vanilla · seed 1' });
  await expect(mat).toContainText('before reload');
  await expect(vanilla).toContainText('before reload');
  await expect(mat.getByRole('checkbox')).toBeChecked();
  await expect(vanilla.getByRole('checkbox')).not.toBeChecked();
  await expect(page.getByTestId('loss.x.flops')).toBeChecked();
  await expect(lab.lossChart.locator('svg .overlay-line path.recharts-line-curve')).toHaveCount(2);
  await expect(lab.errorPanel).toBeHidden();

  await lab.open({ ...CIRCLES, hide: 'runs' });
  await lab.waitForReady();
  await expect(lab.lossChart).toBeVisible();
  await expect(list).toHaveCount(0);
});
