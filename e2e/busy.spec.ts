import { expect, test } from './fixtures';
import { TINY } from './lab.page';

/**
 * What a step costs, said before and while it runs (issue 9, items 4 and 5): the estimate in the
 * status line, the busy indicator of a step running for more than a second (the first step on
 * WebGPU compiles every shader), the dialog before a step estimated over 20 s, and the notice
 * offering the MLP preset on a software adapter. The e2e Chromium runs WebGPU on SwiftShader, a
 * software (fallback) adapter.
 */

/** The widest MLP the schema allows, on the most points: the README says the lab runs it. */
const WIDEST_MLP = {
  preset: 'mlp-circles',
  hidden: '32,32,32,32,32,32',
  points: 5000,
  K: 2,
  warmup: 2,
  valEvery: 1000,
  backend: 'webgpu',
};

/** A BERT whose step is estimated at minutes on a software adapter (≈ 10 GFLOP). */
const SLOW_BERT = {
  layers: 2,
  heads: 4,
  dModel: 128,
  dFF: 512,
  seqLen: 64,
  batch: 64,
  K: 10,
  valEvery: 1000,
  backend: 'webgpu',
};

test('the widest MLP runs: its step time is estimated first, and its first step shows the busy indicator until done', async ({
  lab,
  page,
}) => {
  await lab.open(WIDEST_MLP);
  await lab.waitForReady();
  // Inside the caps: no complaint, and 6 × 32 neurons.
  await expect(lab.errorPanel).toBeHidden();
  const estimate = page.getByTestId('status.estimate');
  await expect(estimate).toHaveText(/^≈ [\d.]+ (ms|s) per step on this adapter \(estimate\)$/);
  expect(await estimate.getAttribute('title')).toMatch(/FLOP per step .* at ≈ .*FLOP\/s/);
  const { isFallbackAdapter } = await lab.assertWebGPU();

  await lab.step.click();
  const busy = page.getByTestId('status.busy');
  // The first step compiles every kernel it uses: seconds on SwiftShader, and said so.
  await expect(busy).toBeVisible({ timeout: 30_000 });
  const said = (await busy.innerText()).trim();
  test.info().annotations.push({ type: 'busy', description: said });
  if (isFallbackAdapter)
    expect(said).toMatch(
      /^compiling shaders: the first step on WebGPU compiles every kernel it uses — \d+ compiled so far, \d+ s$/,
    );
  else expect(said).toMatch(/compiling shaders|running for \d+ s/);
  await lab.waitForStep(1, 120_000);
  // Done: the indicator goes and the estimate becomes the measured time.
  await expect(busy).toHaveCount(0);
  await expect(estimate).toHaveText(/^≈ [\d.]+ (ms|s|min) per step on this adapter \(measured\)$/);
  expect((await lab.lab.status()).running).toBe(false);
  expect((await lab.lab.modules()).length).toBe(6 * 32);
  await expect(lab.errorPanel).toBeHidden();
});

test('a step estimated over 20 s asks first in the page; Cancel and Escape run nothing', async ({
  lab,
  page,
}) => {
  await lab.open(SLOW_BERT);
  await lab.waitForReady(120_000);
  const { isFallbackAdapter } = await lab.assertWebGPU();
  // Skipped on a hardware GPU only: there this BERT's estimated step is far under the 20 s bound,
  // so no dialog is due. CI's Chromium runs SwiftShader (a fallback adapter), where it runs.
  test.skip(!isFallbackAdapter, 'on a hardware adapter this BERT steps in about a second');
  const estimate = page.getByTestId('status.estimate');
  await expect(estimate).toHaveText(
    /^≈ (\d+ s|\d+ min|[\d.]+ h) per step on this adapter \(estimate\)$/,
  );

  const dialog = page.getByTestId('dialog.cost');
  await lab.play.click();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('heading')).toHaveText(/^Play: each step takes ≈ .+ here$/);
  await expect(page.getByTestId('cost.text')).toContainText('is estimated at ≈');
  await expect(page.getByTestId('cost.text')).toContainText('(software)');
  await expect(page.getByTestId('cost.confirm')).toHaveText('Train anyway');
  await page.getByTestId('cost.cancel').click();
  await expect(dialog).toBeHidden();

  await lab.step.click();
  await expect(dialog).toBeVisible();
  await expect(dialog.getByRole('heading')).toHaveText(/^One step: each step takes ≈/);
  await page.keyboard.press('Escape');
  await expect(dialog).toBeHidden();

  // Nothing was sent to the trainer: no step ran, none is running, nothing is busy.
  await page.waitForTimeout(1500);
  const status = await lab.lab.status();
  expect(status.step).toBe(0);
  expect(status.running).toBe(false);
  await expect(page.getByTestId('status.busy')).toHaveCount(0);
});

test('on a software adapter a notice offers the MLP preset, and one click switches to it', async ({
  lab,
  page,
}) => {
  await lab.open({ ...TINY, backend: 'webgpu' });
  await lab.waitForReady();
  const { isFallbackAdapter } = await lab.assertWebGPU();
  // Skipped on a hardware GPU only: the notice is shown on software adapters alone. CI's Chromium
  // runs SwiftShader, so it runs there.
  test.skip(!isFallbackAdapter, 'the notice is for software adapters');
  const notice = page.getByTestId('notice.software');
  await expect(notice).toBeVisible();
  await expect(notice.getByRole('heading')).toHaveText('This adapter is a software renderer');
  await expect(notice).toContainText('The first step compiles every shader it uses');
  await expect(notice).toContainText(/each step takes ≈ .+ \(estimate\)/);
  await page.getByTestId('notice.software.switch').click();
  await expect.poll(async () => (await lab.lab.status()).model).toBe('mlp');
  await lab.waitForReady();
  await expect(page.getByTestId('preset.select')).toHaveValue('mlp-spiral');
  await expect.poll(() => new URL(page.url()).searchParams.get('preset')).toBe('mlp-spiral');
  // The MLP needs no such notice; the backend stayed WebGPU.
  await expect(notice).toHaveCount(0);
  expect((await lab.lab.status()).backend).toBe('webgpu');

  // "Keep this experiment" dismisses it for the page.
  await lab.open({ ...TINY, backend: 'webgpu' });
  await lab.waitForReady();
  await expect(notice).toBeVisible();
  await page.getByTestId('notice.software.dismiss').click();
  await expect(notice).toHaveCount(0);
});
