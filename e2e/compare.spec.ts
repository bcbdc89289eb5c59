import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import type { LabHook, LabPage } from './lab.page';
import { relDiff } from './lab.page';

/**
 * Live A/B (issue 11): a `compare=` link trains a second arm in a second worker, in lockstep with
 * the first, overlaid on the loss chart, beside it in the heatmaps and the compute counter; the
 * link reproduces both arms. WASM: the classroom MLP steps in milliseconds there.
 */
type Compare = NonNullable<Awaited<ReturnType<LabHook['compare']>>>;

const compare = (page: Page): Promise<Compare | null> =>
  page.evaluate(() => window.__lab!.compare());

/** Both arms at `step`, the lockstep paused there. */
async function waitForBoth(lab: LabPage, step: number): Promise<Compare> {
  await expect
    .poll(
      async () => {
        const c = await compare(lab.page);
        return c && !c.lockstep.playing && c.lockstep.target === null ? c.lockstep.steps : null;
      },
      { message: `both arms paused at ${step}`, timeout: 120_000 },
    )
    .toEqual([step, step]);
  return (await compare(lab.page))!;
}

/** λmax by evaluation and module, as one list of [step, module, value]. */
function lambdas(h: Compare['history']): [number, string, number][] {
  return h.evaluations.flatMap((e) =>
    Object.entries(e.lambdaMax).map(([id, v]): [number, string, number] => [e.step, id, v]),
  );
}

/** Every λmax of `b` within `tol` (relative) of `a`'s, at the same steps and modules. */
function expectSameLambdas(a: Compare['history'], b: Compare['history'], tol: number): void {
  const x = lambdas(a);
  const y = lambdas(b);
  expect(y.map(([s, id]) => `${s}:${id}`)).toEqual(x.map(([s, id]) => `${s}:${id}`));
  expect(x.length).toBeGreaterThan(0);
  const worst = Math.max(...x.map(([, , v], i) => relDiff(v, y[i]![2])));
  expect(worst, 'largest relative difference of λmax').toBeLessThanOrEqual(tol);
}

test('a compare=vanilla link trains both arms in lockstep, draws both, and replays both on reload', async ({
  lab,
  page,
}) => {
  // MAT's step-0 evaluation costs 30 vanilla steps here: by step 60 vanilla has spent more than
  // MAT by its first validation (step 10), so the two can be compared at equal FLOPs.
  const stopAt = 60;
  await lab.open(
    `preset=mlp-spiral&backend=wasm&policy=mat&valEvery=10&stopAt=${stopAt}&autoplay=1&compare=vanilla`,
  );
  await lab.waitForReady();
  const first = await waitForBoth(lab, stopAt);
  const firstA = await lab.lab.history();
  expect(first.status.policy).toBe('vanilla');
  expect((await lab.lab.status()).policy).toBe('mat');
  // Same model, data and probe: the step-0 evaluation is the same in both arms (MAT has not
  // decided anything yet). Two workers on the same WASM build: equal to float rounding.
  const a0 = firstA.evaluations[0]!;
  const b0 = first.history.evaluations[0]!;
  expect(b0.step).toBe(0);
  for (const [id, v] of Object.entries(a0.lambdaMax))
    expect(relDiff(v, b0.lambdaMax[id]!), `λmax of ${id} at step 0`).toBeLessThanOrEqual(1e-6);
  expect(first.lockstep.msPerStep[0]).toBeGreaterThan(0);
  expect(first.lockstep.msPerStep[1]).toBeGreaterThan(0);

  // The loss chart overlays arm B (its loss and its validation line).
  const overlay = lab.lossChart.locator('svg .overlay-compare path.recharts-line-curve');
  await expect(overlay).toHaveCount(2);
  const d = (await overlay.first().getAttribute('d')) ?? '';
  expect(d.split(/[LC]/).length, 'arm B’s loss has a point per step').toBeGreaterThan(10);
  await expect(lab.lossChart).toContainText('B · Vanilla (Live A/B)');
  // Two heatmaps side by side, the compute counter with both arms, the sentence at equal FLOPs.
  await expect(page.getByTestId('compare.heatmaps')).toBeVisible();
  await expect(page.getByTestId('compare.heatmap').locator('canvas').first()).toBeVisible();
  const flopsB = Number(await page.getByTestId('compute.armB').getAttribute('data-flops'));
  expect(flopsB).toBeGreaterThan(0);
  await expect(page.getByTestId('compare.sentence')).toContainText(/At .*FLOP, MAT's validation/);
  await expect(page.getByTestId('compare.state')).toContainText(`Both paused at step ${stopAt}`);

  // SCREENSHOTS=1 writes docs/screenshots/live-ab.png: the panel, the overlay and both heatmaps.
  if (process.env.SCREENSHOTS === '1') {
    const top = (await page.getByTestId('compare.panel').boundingBox())!;
    const heat = (await page.getByTestId('compare.heatmaps').boundingBox())!;
    const scrollY = await page.evaluate(() => window.scrollY);
    mkdirSync('docs/screenshots', { recursive: true });
    await page.screenshot({
      path: 'docs/screenshots/live-ab.png',
      clip: {
        x: top.x,
        y: top.y + scrollY,
        width: top.width,
        height: heat.y + heat.height - top.y,
      },
      fullPage: true,
    });
  }

  // The address holds both arms; opening it again reproduces both.
  const url = page.url();
  expect(new URL(url).searchParams.get('compare')).toBe('vanilla');
  await lab.openUrl(url);
  await lab.waitForReady();
  const again = await waitForBoth(lab, stopAt);
  // Same link, same WASM build: the runs are deterministic; 1e-5 is the bound.
  expectSameLambdas(firstA, await lab.lab.history(), 1e-5);
  expectSameLambdas(first.history, again.history, 1e-5);
});

test('the Compare with select starts a second arm and keeps it in the link; none ends it', async ({
  lab,
  page,
}) => {
  await lab.open('preset=mlp-spiral&backend=wasm&stopAt=10');
  await lab.waitForReady();
  expect(await compare(page)).toBeNull();
  await expect(page.getByTestId('compare.panel')).toHaveCount(0);
  await page.getByTestId('compare.select').selectOption('random');
  await expect.poll(async () => (await compare(page))?.lockstep.ready ?? false).toBe(true);
  await expect.poll(() => new URL(page.url()).searchParams.get('compare')).toBe('random');
  await lab.play.click();
  const c = await waitForBoth(lab, 10);
  expect(c.status.policy).toBe('random');
  await page.getByTestId('compare.select').selectOption('none');
  await expect.poll(() => compare(page)).toBeNull();
  await expect.poll(() => new URL(page.url()).searchParams.has('compare')).toBe(false);
  // The ended arm B is kept in the run list, like a replaced arm A.
  const kept = page.getByTestId('panel.runs').locator('tr[data-shown="kept"]');
  await expect(kept.filter({ hasText: 'Live A/B, arm B' })).toContainText(
    'random (matched) · seed 1',
  );
});

/**
 * Measured, not asserted (COMPARE_BENCH=1): each arm's ms/step alone and in a pair on WASM, and
 * the page's long tasks while the pair trains. Figures go to the test's output folder.
 */
test('two arms on one machine: step time alone vs in a pair, and long tasks (measured)', async ({
  lab,
  page,
}, testInfo) => {
  // Skipped unless COMPARE_BENCH=1: a timing on a shared machine is a measurement, not a check
  // (figures in bench/results/compare-chromium.json); CI runs the two functional tests above.
  test.skip(process.env.COMPARE_BENCH !== '1', 'a measurement: COMPARE_BENCH=1');
  const seconds = Number(process.env.COMPARE_BENCH_SECONDS ?? 20);
  const preset = process.env.COMPARE_BENCH_PRESET ?? 'mlp-spiral';
  test.setTimeout((seconds * 4 + 240) * 1000);
  await page.addInitScript(() => {
    (window as unknown as { __longTasks: number[] }).__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries())
        (window as unknown as { __longTasks: number[] }).__longTasks.push(e.duration);
    }).observe({ type: 'longtask', buffered: true });
  });
  const longTasks = () =>
    page.evaluate(() => (window as unknown as { __longTasks: number[] }).__longTasks.slice());
  /** Trains `policy` alone for `seconds`: steps per second and the worker's median ms/step. */
  const alone = async (policy: string) => {
    await lab.open(`preset=${preset}&backend=wasm&policy=${policy}`);
    await lab.waitForReady();
    const s0 = (await lab.lab.status()).step;
    const tasksBefore = (await longTasks()).length;
    const t0 = Date.now();
    await lab.play.click();
    await page.waitForTimeout(seconds * 1000);
    await lab.pause.click();
    await lab.waitForPaused();
    const steps = (await lab.lab.status()).step - s0;
    const wall = (Date.now() - t0) / steps;
    const tasks = (await longTasks()).slice(tasksBefore);
    const median = await page.evaluate(() => {
      const el = document.querySelector('[data-testid="compute.ms"]');
      return el?.textContent ?? '';
    });
    return {
      policy,
      steps,
      wallMsPerStep: wall,
      medianShown: median,
      longTasks: { count: tasks.length, totalMs: tasks.reduce((x, y) => x + y, 0) },
    };
  };
  const mat = await alone('mat');
  const vanilla = await alone('vanilla');
  await lab.open(`preset=${preset}&backend=wasm&policy=mat&compare=vanilla`);
  await lab.waitForReady();
  await expect.poll(async () => (await compare(page))?.lockstep.ready ?? false).toBe(true);
  const before = (await longTasks()).length;
  const t0 = Date.now();
  await lab.play.click();
  await page.waitForTimeout(seconds * 1000);
  await lab.pause.click();
  await expect
    .poll(async () => {
      const c = await compare(page);
      return c !== null && !c.lockstep.playing && c.lockstep.target === null;
    })
    .toBe(true);
  const pair = (await compare(page))!;
  const wallMs = Date.now() - t0;
  const tasks = (await longTasks()).slice(before);
  const steps = pair.lockstep.steps[0];
  const shown = {
    armA: await page.getByTestId('compute.armA.ms').textContent(),
    armB: await page.getByTestId('compute.armB.ms').textContent(),
  };
  const figures = {
    preset,
    seconds,
    alone: [mat, vanilla],
    pair: {
      steps,
      wallMsPerStep: wallMs / steps,
      lockstepMsPerStep: pair.lockstep.msPerStep,
      waitedMs: pair.lockstep.waitedMs,
      chunks: pair.lockstep.chunks,
      shown,
    },
    ratio: {
      mat: pair.lockstep.msPerStep[0]! / mat.wallMsPerStep,
      vanilla: pair.lockstep.msPerStep[1]! / vanilla.wallMsPerStep,
      pairWallVsSlowerAlone: wallMs / steps / Math.max(mat.wallMsPerStep, vanilla.wallMsPerStep),
    },
    longTasks: {
      count: tasks.length,
      totalMs: tasks.reduce((x, y) => x + y, 0),
      longestMs: Math.max(0, ...tasks),
    },
  };
  const out = testInfo.outputPath('compare-bench.json');
  mkdirSync(testInfo.outputDir, { recursive: true });
  const text = `${JSON.stringify(
    {
      what: 'Live A/B on WASM in Chromium headless: each arm alone vs in a lockstep pair',
      createdAt: new Date().toISOString(),
      command:
        'COMPARE_BENCH=1 BENCH_WRITE=1 npx playwright test e2e/compare.spec.ts -g "two arms"',
      machine: { cpus: cpus().length, loadAverage1m: loadavg()[0] },
      ...figures,
    },
    null,
    2,
  )}\n`;
  writeFileSync(out, text);
  if (process.env.BENCH_WRITE === '1') writeFileSync('bench/results/compare-chromium.json', text);
  console.log(JSON.stringify(figures, null, 2));
  expect(steps).toBeGreaterThan(0);
});
