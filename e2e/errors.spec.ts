import { expect, SIMULATED_CRASH, test } from './fixtures';
import { BASE_ARGS, CHROMIUM_PATH } from './chromium';
import { LabPage, TINY } from './lab.page';

/**
 * A browser launched without --enable-unsafe-webgpu: `navigator.gpu` exists but has no adapter,
 * the case where TF.js would silently fall back to WebGL.
 */
test.describe('without a WebGPU adapter', () => {
  test('backend=webgpu shows panel.error; auto falls back to WASM, never WebGL', async ({
    playwright,
    baseURL,
  }) => {
    const browser = await playwright.chromium.launch({
      executablePath: CHROMIUM_PATH,
      args: BASE_ARGS,
    });
    try {
      const context = await browser.newContext({ baseURL: baseURL!, reducedMotion: 'reduce' });
      const page = await context.newPage();
      const dialogs: string[] = [];
      page.on('dialog', (d) => {
        dialogs.push(d.message());
        void d.dismiss();
      });
      const lab = new LabPage(page);

      await lab.open({ ...TINY, backend: 'webgpu' });
      await expect(lab.errorPanel).toBeVisible();
      await expect(lab.errorPanel).toContainText(/WebGPU is not available/i);
      const status = await lab.lab.status();
      expect(status.backend, 'no backend is pretended').not.toBe('webgpu');
      expect(status.backend, 'no silent WebGL fallback').not.toBe('webgl');

      await lab.open({ ...TINY, backend: 'auto' });
      const ready = await lab.waitForReady();
      expect(ready.backend, 'auto without WebGPU runs on WASM').toBe('wasm');
      await expect(lab.backendBadge).toContainText(/wasm/i);
      expect(dialogs).toEqual([]);
    } finally {
      await browser.close();
    }
  });
});

test('a worker crash shows panel.error and Reset starts a new worker', async ({ lab }) => {
  await lab.open({ ...TINY, backend: 'webgpu' });
  await lab.waitForReady();
  await lab.play.click();
  await lab.waitForStep(2);

  // An uncaught error in the worker's global scope: what a real crash (OOM, a bug in a
  // callback) looks like from the page, an `error` event on the Worker object.
  const worker = await lab.trainerWorker();
  await worker.evaluate((message) => {
    setTimeout(() => {
      throw new Error(message);
    });
  }, SIMULATED_CRASH);

  await expect(lab.errorPanel).toBeVisible();
  await expect(lab.errorPanel).toContainText(/worker crashed/i);
  await expect
    .poll(async () => (await lab.lab.status()).running, { message: 'run stopped' })
    .toBe(false);

  await lab.reset.click();
  const status = await lab.waitForReady();
  expect(status.step, 'Reset starts from step 0').toBe(0);
  await lab.assertWebGPU();
  await expect(lab.errorPanel).toBeHidden();
  await lab.play.click();
  await lab.waitForStep(2);
});
