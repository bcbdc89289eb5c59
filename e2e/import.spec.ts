import { readFile, stat, writeFile } from 'node:fs/promises';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import type { LabPage } from './lab.page';

/** A small MLP run: a real export in a few seconds on WASM. */
const CIRCLES = {
  preset: 'mlp-circles',
  K: 2,
  warmup: 2,
  valEvery: 4,
  points: 100,
  backend: 'wasm',
  stopAt: 4,
  autoplay: 1,
};
/** Metric entries added to the real export: about 35 MB of JSON. */
const STEPS = 900_000;

interface Responsiveness {
  /** Wall-clock ms from picking the file to the banner. */
  ms: number;
  longTasks: number;
  longestTaskMs: number;
  longTaskMs: number;
  /** Longest gap between two animation frames, ms. */
  longestFrameGapMs: number;
  /** Whether the theme toggle answered while the import was still in progress. */
  interacted: boolean;
}

/** Long tasks and animation frames from now on, recorded in the page. */
async function startRecording(page: Page): Promise<void> {
  await page.evaluate(() => {
    const rec = { long: [] as number[], gaps: [] as number[], stop: false };
    (window as unknown as { __rec: typeof rec }).__rec = rec;
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) rec.long.push(e.duration);
    }).observe({ type: 'longtask' });
    let last = performance.now();
    const tick = (t: number) => {
      rec.gaps.push(t - last);
      last = t;
      if (!rec.stop) requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
  });
}

/** Imports `file` and measures the page while it is read, parsed and checked. */
async function importMeasured(lab: LabPage, file: string): Promise<Responsiveness> {
  const page = lab.page;
  await startRecording(page);
  const theme = page.getByTestId('page.theme');
  const before = await theme.getAttribute('aria-pressed');
  const t0 = Date.now();
  await page.getByLabel('Import a run file').setInputFiles(file);
  // A click while the file is being read or parsed: the page answers at once, or not at all.
  await theme.click({ timeout: 120_000 });
  const pressed = await theme.getAttribute('aria-pressed');
  const interacted =
    pressed !== before && (await page.getByTestId('import.progress').count()) === 1;
  await expect(page.getByTestId('banner.import')).toContainText('Viewing imported run big.json', {
    timeout: 120_000,
  });
  const ms = Date.now() - t0;
  const rec = await page.evaluate(() => {
    const r = (window as unknown as { __rec: { long: number[]; gaps: number[]; stop: boolean } })
      .__rec;
    r.stop = true;
    return { long: r.long, gaps: r.gaps };
  });
  return {
    ms,
    longTasks: rec.long.length,
    longestTaskMs: Math.round(Math.max(0, ...rec.long)),
    longTaskMs: Math.round(rec.long.reduce((a, b) => a + b, 0)),
    longestFrameGapMs: Math.round(Math.max(0, ...rec.gaps)),
    interacted,
  };
}

test('a 35 MB run file is read, parsed and checked off the main thread: the page keeps answering', async ({
  lab,
  page,
}, testInfo) => {
  test.setTimeout(300_000);
  // A real export, then 900,000 more metric entries (steps not decreasing, as the checks ask).
  await lab.open(CIRCLES);
  await lab.waitForReady();
  await lab.waitForStep(4);
  await lab.waitForPaused();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export run (JSON)' }).click();
  const small = testInfo.outputPath('run.json');
  await (await download).saveAs(small);
  const run = JSON.parse(await readFile(small, 'utf8')) as {
    step: number;
    metrics: { step: number[]; loss: number[]; flops: number[]; vanillaFlops: number[] };
  };
  const steps = Array.from({ length: STEPS }, (_, i) => 1 + Math.floor((i * run.step) / STEPS));
  run.metrics = {
    step: steps,
    loss: steps.map((_, i) => 0.7 * Math.exp(-i / STEPS) + 0.01 * Math.sin(i)),
    flops: steps.map((_, i) => 1000 * i),
    vanillaFlops: steps.map((_, i) => 1200 * i),
  };
  const big = testInfo.outputPath('big.json');
  await writeFile(big, JSON.stringify(run));
  const mb = (await stat(big)).size / 2 ** 20;
  expect(mb).toBeGreaterThan(20);
  expect(mb).toBeLessThan(50);

  const worker = await importMeasured(lab, big);
  await page.getByRole('button', { name: 'Back to the live run' }).click();

  // The same file on the main thread (worker=0: the fallback without workers), for comparison.
  await lab.open({ ...CIRCLES, autoplay: 0, stopAt: 0, worker: 0 });
  await lab.waitForReady();
  const inThread = await importMeasured(lab, big);

  const line = (r: Responsiveness) =>
    `${r.ms} ms to the banner, ${r.longTasks} long tasks (${r.longTaskMs} ms, longest ${r.longestTaskMs} ms), longest frame gap ${r.longestFrameGapMs} ms, theme toggle answered during the import: ${r.interacted}`;
  const report = `${mb.toFixed(1)} MB file. Worker: ${line(worker)}. In-thread: ${line(inThread)}.`;
  testInfo.annotations.push({ type: 'import responsiveness', description: report });
  console.info(report);

  // The measure is the click: it was answered while the file was still being read or parsed.
  expect(worker.interacted, 'the page answered a click during the import').toBe(true);
  // The main thread's longest stall is far shorter than parsing on it (a ratio, not a timing).
  expect(worker.longestTaskMs).toBeLessThan(inThread.longestTaskMs);
});
