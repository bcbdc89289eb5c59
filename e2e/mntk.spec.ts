import { expect, test } from './fixtures';
import { chartInk, expectChartDrawn, TINY } from './lab.page';
import type { LabEvaluation } from './lab.page';

test('heatmap and timeline fill', async ({ lab }) => {
  const layers = 2;
  const heads = 2;
  await lab.open({ ...TINY, layers, heads, backend: 'webgpu' });
  await lab.waitForReady();
  // The grids draw row labels and an axis before any data: keep that picture to compare.
  const blankHeatmap = await chartInk(lab.heatmap);
  const blankTimeline = await chartInk(lab.timeline);
  await lab.play.click();
  const history = await lab.waitForEvaluations(3);
  await lab.assertWebGPU();

  const modules = await lab.lab.modules();
  expect(modules, 'one module per head and layer').toHaveLength(layers * heads);
  const ids = modules.map((m) => m.id);
  expect(new Set(ids).size, 'module ids are unique').toBe(ids.length);
  for (const m of modules) expect(m.kind).toBe('head');

  for (const e of history.evaluations) {
    expect(Object.keys(e.lambdaMax).sort(), `λmax of every module at step ${e.step}`).toEqual(
      [...ids].sort(),
    );
    for (const id of ids) {
      const v = e.lambdaMax[id]!;
      expect(
        Number.isFinite(v) && v > 0,
        `λmax of ${id} at step ${e.step} is finite and > 0 (got ${v})`,
      ).toBe(true);
    }
  }
  const steps = history.evaluations.map((e) => e.step);
  expect(steps, 'evaluations every K steps from step 0').toEqual(
    steps.map((_, i) => i * Number(TINY.K)),
  );

  await expectChartDrawn(lab.heatmap, 'chart.heatmap', blankHeatmap);
  await expectChartDrawn(lab.timeline, 'chart.timeline', blankTimeline);
});

/** MAT's modular rule as specified (ref = mean, β = 0, no overrides): updating iff λ ≥ α·mean. */
function expectedUpdating(e: LabEvaluation, alpha: number): Record<string, boolean> {
  const values = Object.values(e.lambdaMax);
  const mean = values.reduce((s, v) => s + v, 0) / values.length;
  return Object.fromEntries(
    Object.entries(e.lambdaMax).map(([id, v]) => [id, alpha === 0 || v >= alpha * mean]),
  );
}

const countUpdating = (e: LabEvaluation) => Object.values(e.updating).filter(Boolean).length;

test('dragging α to its maximum changes decisions at the next evaluation and logs an event', async ({
  lab,
}) => {
  const K = 2;
  const warmup = 2;
  await lab.open({ ...TINY, K, warmup, policy: 'mat', beta: 0, alpha: 0.9, backend: 'webgpu' });
  await lab.waitForReady();
  await expect(lab.alpha).toBeVisible();
  expect(await lab.rangeValue(lab.alpha), 'slider.alpha starts at the URL value').toBeCloseTo(
    0.9,
    6,
  );
  const max = await lab.rangeMax(lab.alpha);

  await lab.play.click();
  // Wait for an evaluation past the warm-up, where the α rule decides (α = 0.9 keeps at least
  // the head with the largest λmax, since max ≥ mean ≥ 0.9 · mean).
  await expect
    .poll(async () => (await lab.lab.history()).evaluations.some((e) => e.step >= warmup), {
      message: 'an evaluation after the warm-up',
    })
    .toBe(true);

  await lab.setRange(lab.alpha, max);
  expect(await lab.rangeValue(lab.alpha), 'slider.alpha shows its maximum').toBeCloseTo(max, 6);

  await expect
    .poll(async () => (await lab.lab.history()).events.filter((e) => e.name === 'alpha'), {
      message: 'an alpha event is logged',
    })
    .toHaveLength(1);
  let history = await lab.lab.history();
  const event = history.events.find((e) => e.name === 'alpha')!;
  expect(event.to, 'the event holds the new α').toBeCloseTo(max, 6);
  expect(event.from, 'the event holds the old α').toBeCloseTo(0.9, 6);
  expect(event.step % K, `the event (step ${event.step}) took effect at an evaluation step`).toBe(
    0,
  );
  expect(event.step, 'the event took effect after the warm-up').toBeGreaterThan(warmup);

  await expect
    .poll(async () => (await lab.lab.history()).evaluations.some((e) => e.step === event.step), {
      message: `the evaluation at step ${event.step} is in the history`,
    })
    .toBe(true);
  history = await lab.lab.history();
  const after = history.evaluations.find((e) => e.step === event.step)!;
  const before = [...history.evaluations]
    .reverse()
    .find((e) => e.step < event.step && e.step >= warmup)!;
  expect(before, 'an evaluation with α = 0.9 after the warm-up').toBeDefined();

  expect(before.updating, `decisions at step ${before.step} follow λ ≥ 0.9 · mean`).toEqual(
    expectedUpdating(before, 0.9),
  );
  expect(after.updating, `decisions at step ${after.step} follow λ ≥ ${max} · mean`).toEqual(
    expectedUpdating(after, max),
  );
  expect(countUpdating(before), 'some head is updated before the change').toBeGreaterThan(0);
  expect(countUpdating(after), 'fewer heads are updated after the change').toBeLessThan(
    countUpdating(before),
  );
  const heads = Object.keys(after.lambdaMax).length;
  if (max >= heads)
    expect(countUpdating(after), `α = ${max} ≥ number of heads freezes every head`).toBe(0);

  // The link now carries the event, so it replays.
  await expect(lab.page).toHaveURL(new RegExp(`events=${event.step}(%3A|:)alpha(%3A|:)`));
});
