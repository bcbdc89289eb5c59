import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import type { LabPage } from './lab.page';
import { relDiff } from './lab.page';

/**
 * Links that replay everything (manual overrides too), sliders that show the value in force, a
 * stopAt that pauses once, a Pause that stops at the next step boundary, and changes marked on
 * the charts and listed in the change log. MLP presets keep the runs short on SwiftShader.
 */

/** The step counter as the page shows it (what a user reads). */
async function shownStep(page: Page): Promise<number> {
  const text = (await page.locator('.step-value').textContent()) ?? '';
  return Number(text.replace(/[^0-9]/g, ''));
}

/** The slider's hint about a value still waiting for the next evaluation ('' when none). */
async function pendingHint(lab: LabPage, name: 'alpha' | 'beta'): Promise<string> {
  const hint = lab.page.locator(`#slider-${name}-help .pending`);
  return (await hint.count()) > 0 ? ((await hint.textContent()) ?? '') : '';
}

/** The value printed beside a slider's label. */
async function shownValue(lab: LabPage, name: 'alpha' | 'beta'): Promise<string> {
  return (await lab.page.locator(`label[for="slider-${name}"] .slider-value`).textContent()) ?? '';
}

/** Opens the drill-down of the heatmap's `row`-th module (a click on its row label). */
async function openModule(lab: LabPage, row: number): Promise<void> {
  const canvas = lab.heatmap.locator('canvas').first();
  // Row labels sit in the 58 px gutter; rows of a 6-module grid are 26 px high.
  await canvas.click({ position: { x: 20, y: row * 26 + 13 } });
  await expect(lab.page.locator('.drilldown')).toBeVisible();
}

test('sliders show the values in force after a replayed link (issue 9, defect 3)', async ({
  lab,
}) => {
  await lab.open('preset=mlp-circles&events=90:alpha:1.8,110:beta:0.12&stopAt=120&autoplay=1');
  await lab.waitForReady();
  await lab.waitForStep(120);
  await lab.waitForPaused();
  expect((await lab.lab.history()).events).toEqual([
    { step: 90, name: 'alpha', from: 0.9, to: 1.8 },
    { step: 110, name: 'beta', from: 0.02, to: 0.12 },
  ]);
  // The screen agrees with the trainer: the values in force, nothing pending.
  await expect.poll(() => lab.rangeValue(lab.alpha)).toBeCloseTo(1.8, 9);
  await expect.poll(() => lab.rangeValue(lab.beta)).toBeCloseTo(0.12, 9);
  expect(await shownValue(lab, 'alpha')).toBe('1.8');
  expect(await shownValue(lab, 'beta')).toBe('0.12');
  expect(await pendingHint(lab, 'alpha'), 'no α is pending').toBe('');
  expect(await pendingHint(lab, 'beta'), 'no β is pending').toBe('');

  // Past the next evaluation (130) nothing changes.
  await lab.play.click();
  await lab.waitForStep(132);
  await lab.pause.click();
  await lab.waitForPaused();
  expect(await lab.rangeValue(lab.alpha)).toBeCloseTo(1.8, 9);
  expect(await lab.rangeValue(lab.beta)).toBeCloseTo(0.12, 9);
  expect(await pendingHint(lab, 'alpha')).toBe('');
  expect(await pendingHint(lab, 'beta')).toBe('');

  // A move while running is pending until the next evaluation, then in force.
  await lab.play.click();
  await lab.setRange(lab.alpha, 1.2);
  await expect.poll(() => pendingHint(lab, 'alpha')).toMatch(/In force: 1\.8; 1\.2 applies/);
  expect(await lab.rangeValue(lab.alpha), 'the slider shows the pending value').toBeCloseTo(1.2, 9);
  await expect
    .poll(async () => (await lab.lab.history()).events.filter((e) => e.name === 'alpha').length)
    .toBe(2);
  await expect.poll(() => pendingHint(lab, 'alpha')).toBe('');
  expect(await lab.rangeValue(lab.alpha)).toBeCloseTo(1.2, 9);
  await lab.pause.click();
});

test('Play after a stopAt pause trains on (issue 9, defect 6)', async ({ lab }) => {
  await lab.open('preset=mlp-circles&stopAt=20&autoplay=1');
  await lab.waitForReady();
  await lab.waitForStep(20);
  await lab.waitForPaused();
  expect((await lab.lab.status()).step, 'stopAt pauses at exactly 20').toBe(20);
  await expect(lab.page.locator('.run-status')).toContainText('paused at stopAt = 20');

  await lab.play.click();
  await lab.waitForStep(35);
  expect((await lab.lab.status()).running, 'still training past stopAt').toBe(true);
  await lab.pause.click();
  await lab.waitForPaused();
  await expect(lab.page.locator('.run-status')).not.toContainText('stopAt');
  // The link keeps stopAt: opening it replays to 20 and pauses there once.
  expect(lab.page.url()).toContain('stopAt=20');
});

test('Pause stops at the next step boundary (issue 9, defect 6)', async ({ lab }) => {
  await lab.open('preset=mlp-circles&autoplay=1');
  await lab.waitForReady();
  await lab.waitForStep(30);
  // Per trial: the steps the trainer took after it received the pause (what Pause promises: it
  // finishes the step in progress, 0 or 1), and how far the worker was ahead of the counter on
  // screen at the click (the page's lag: status messages in flight or waiting for a busy main
  // thread while the worker steps every ~9 ms; recorded, not asserted).
  const afterReceipt: number[] = [];
  const screenLag: number[] = [];
  for (let trial = 0; trial < 4; trial++) {
    if (trial > 0) {
      await lab.play.click();
      const from = (await lab.lab.status()).step;
      await lab.waitForStep(from + 15);
    }
    // Training again: the answer read below is this trial's Pause's, not an earlier one's.
    expect((await lab.lab.status()).lastPause, 'no pause answered since Play').toBeNull();
    // Read the counter and press Pause in one task: the step on screen at the click.
    const atClick = await lab.page.evaluate(() => {
      const step = Number(document.querySelector('.step-value')!.textContent!.replace(/\D/g, ''));
      (document.querySelector('[data-testid="controls.pause"]') as HTMLButtonElement).click();
      return step;
    });
    await lab.waitForPaused();
    // The worker's answer to the pause (its last status, posted once the loop has stopped): the
    // steps completed when it received the pause and where it stopped.
    await expect.poll(async () => (await lab.lab.status()).lastPause).not.toBeNull();
    const { received, stopped } = (await lab.lab.status()).lastPause!;
    expect(received, 'the worker cannot be behind the counter shown').toBeGreaterThanOrEqual(
      atClick,
    );
    expect(
      stopped - received,
      `stopped at ${stopped}, pause received at ${received}`,
    ).toBeGreaterThanOrEqual(0);
    expect(
      stopped - received,
      `trial ${trial}: stopped at ${stopped}, pause received at ${received}: at most the step in progress`,
    ).toBeLessThanOrEqual(1);
    // Nothing trains on after the answer: the counter (store and screen) ends where it stopped.
    await lab.page.waitForTimeout(300);
    expect((await lab.lab.status()).step, 'the store’s counter is where the trainer stopped').toBe(
      stopped,
    );
    await expect.poll(() => shownStep(lab.page), { message: 'the counter shown' }).toBe(stopped);
    afterReceipt.push(stopped - received);
    screenLag.push(received - atClick);
  }
  test.info().annotations.push(
    {
      type: 'pause: steps after the worker received it',
      description: afterReceipt.join(', '),
    },
    {
      type: 'pause: worker ahead of the counter on screen at the click (steps)',
      description: screenLag.join(', '),
    },
  );
});

test('a Force off is in the link, replays at its step, and is marked on the charts (issue 9, defects 2 and 7)', async ({
  lab,
}) => {
  await lab.open('preset=mlp-circles&stopAt=60&autoplay=1');
  await lab.waitForReady();
  await lab.waitForStep(60);
  await lab.waitForPaused();
  const modules = await lab.lab.modules();
  // The neuron with the largest λmax: one the policy keeps training at first.
  const row = modules.reduce(
    (best, m, i) => (m.lambdaMax > modules[best]!.lambdaMax ? i : best),
    0,
  );
  const id = modules[row]!.id;
  await openModule(lab, row);
  await lab.page.getByRole('button', { name: 'Force off' }).click();
  await expect.poll(() => lab.page.url()).toContain(`events=60%3A${id}%3Aoff`);
  await expect
    .poll(async () => (await lab.lab.history()).events)
    .toEqual([{ step: 60, name: 'override', module: id, from: 'auto', to: 'off' }]);

  // Change log and chart markers.
  const changes = lab.page.getByTestId('panel.changes');
  await expect(changes.locator('li')).toHaveCount(1);
  await expect(changes.locator('li').first()).toContainText('60');
  await expect(changes.locator('li').first()).toContainText(/forced off/);
  await lab.play.click();
  await lab.waitForStep(75);
  await lab.pause.click();
  await lab.waitForPaused();
  await expect(lab.lossChart.locator('.recharts-reference-line')).toHaveCount(1);
  await expect(lab.heatmap.locator('canvas').first()).toHaveAttribute('data-change-steps', '60');
  await expect(lab.timeline.locator('canvas').first()).toHaveAttribute('data-change-steps', '60');
  // Given back to the policy: a second event, a second marker.
  await lab.page.getByRole('button', { name: 'Let the policy decide' }).click();
  await expect(changes.locator('li')).toHaveCount(2);
  await expect(lab.lossChart.locator('.recharts-reference-line')).toHaveCount(2);
  const live = await lab.lab.history();
  const cleared = live.events[1]!;
  expect(cleared).toMatchObject({ name: 'override', module: id, from: 'off', to: 'auto' });
  expect(cleared.step).toBeGreaterThanOrEqual(75);
  const url = lab.page.url();
  expect(url).toContain(`${cleared.step}%3A${id}%3Aauto`);

  // A fresh page on the link, run past the clear: the same λmax and decisions at every
  // evaluation (the columns the override and the clear amended included).
  const replayUrl = new URL(url);
  replayUrl.searchParams.set('stopAt', String(cleared.step + 1));
  replayUrl.searchParams.set('autoplay', '1');
  await lab.openUrl(replayUrl.toString());
  await lab.waitForReady();
  await lab.waitForStep(cleared.step + 1);
  await lab.waitForPaused();
  const replay = await lab.lab.history();
  expect(replay.events, 'the override and the clear are replayed at their steps').toEqual(
    live.events,
  );
  const upTo = (h: typeof live) => h.evaluations.filter((e) => e.step < cleared.step);
  expect(upTo(replay).map((e) => e.step)).toEqual(upTo(live).map((e) => e.step));
  expect(upTo(live).length).toBeGreaterThanOrEqual(8);
  for (const [i, a] of upTo(live).entries()) {
    const b = upTo(replay)[i]!;
    for (const [m, v] of Object.entries(a.lambdaMax))
      expect(relDiff(v, b.lambdaMax[m]!), `λmax of ${m} at step ${a.step}`).toBeLessThanOrEqual(
        1e-5,
      );
    expect(b.updating, `decisions at step ${a.step}`).toEqual(a.updating);
    // Off from the evaluation at 60 until the column the clear amended.
    if (a.step >= 60 && a.step + 10 < cleared.step)
      expect(b.updating[id], `${id} is off at step ${a.step}`).toBe(false);
  }
});
