import { expect, test } from './fixtures';
import { relDiff, TINY } from './lab.page';

test('reloading the same URL reproduces λmax at step N', async ({ lab }) => {
  const N = 8;
  // A replayed α event is part of the run: decisions after step 4 depend on it.
  await lab.open({
    ...TINY,
    policy: 'mat',
    stopAt: N,
    autoplay: 1,
    events: '4:alpha:1.2',
    seed: 7,
    backend: 'webgpu',
  });
  await lab.waitForReady();
  await lab.waitForStep(N);
  await lab.waitForPaused();
  expect((await lab.lab.status()).step, `the run stops at stopAt = ${N}`).toBe(N);
  await lab.assertWebGPU();
  const first = await lab.lab.history();
  expect(first.evaluations.map((e) => e.step)).toEqual([0, 2, 4, 6]);
  expect(first.events, 'the URL event is replayed at step 4').toEqual([
    { step: 4, name: 'alpha', from: 0.9, to: 1.2 },
  ]);

  const url = lab.page.url();
  expect(url, 'the app keeps the run in the URL').toContain(`stopAt=${N}`);
  await lab.openUrl(url);
  await lab.waitForReady();
  if (
    !(await lab.lab.status()).running &&
    (await lab.lab.status()).step === 0 &&
    !/autoplay=1/.test(url)
  ) {
    test
      .info()
      .annotations.push({ type: 'note', description: 'the URL lost autoplay=1; pressed play' });
    await lab.play.click();
  }
  await lab.waitForStep(N);
  await lab.waitForPaused();
  const second = await lab.lab.history();

  expect(second.evaluations.map((e) => e.step)).toEqual(first.evaluations.map((e) => e.step));
  for (const [i, a] of first.evaluations.entries()) {
    const b = second.evaluations[i]!;
    for (const [id, v] of Object.entries(a.lambdaMax)) {
      const w = b.lambdaMax[id];
      expect(w, `λmax of ${id} at step ${a.step} after reload`).toBeDefined();
      expect(relDiff(v, w!), `λmax of ${id} at step ${a.step}: ${v} then ${w}`).toBeLessThanOrEqual(
        1e-5,
      );
    }
    expect(b.updating, `decisions at step ${a.step}`).toEqual(a.updating);
  }
  expect(second.events).toEqual(first.events);
});

test('a malformed URL shows panel.error and the defaults', async ({ lab }) => {
  // The fixture fails the test if any dialog opens (alert from the injected script).
  await lab.open({ alpha: 'abc', layers: 999, foo: '<script>alert(1)</script>' });

  await expect(lab.errorPanel).toBeVisible();
  await expect(lab.errorPanel).toContainText('alpha');
  await expect(lab.errorPanel).toContainText('layers');
  await expect(lab.errorPanel.locator('script'), 'no markup from the URL is rendered').toHaveCount(
    0,
  );
  expect(
    await lab.page
      .locator('script:not([src])')
      .evaluateAll((els) => els.some((e) => e.textContent?.includes('alert(1)'))),
  ).toBe(false);

  await expect(lab.alpha).toBeVisible();
  expect(await lab.rangeValue(lab.alpha), 'slider.alpha shows the default α').toBeCloseTo(0.9, 6);

  // The page still works: the hook answers and the worker builds the default experiment.
  const status = await lab.waitForReady();
  expect(status.step).toBe(0);
  expect(status.model).toBe('bert');
});
