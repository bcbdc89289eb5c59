import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import AxeBuilder from '@axe-core/playwright';
import type { Page } from '@playwright/test';
import { expect, test } from './fixtures';
import { TINY } from './lab.page';
import { PRESETS } from '../src/core/presets';

/**
 * Classroom use (issue 9): the preset picker and its story, the report panel opening its
 * preset, an imported run shown where it is seen with its model view and step time, words that
 * fit the model, error messages that show what was typed, terms explained where they appear,
 * and the phone layout. Small MLP runs keep it fast on SwiftShader.
 */
const REPORT = fileURLToPath(new URL('./fixtures/report.json', import.meta.url));
/** mlp-circles made quick: an evaluation every 2 steps, MAT deciding from step 2. */
const CIRCLES = { preset: 'mlp-circles', K: 2, warmup: 2, valEvery: 4, points: 100 };

/** Axe (WCAG 2.x A/AA and best practices) on the given parts of the page: one line per problem. */
async function axeOn(page: Page, selectors: string[]): Promise<string[]> {
  let builder = new AxeBuilder({ page }).withTags([
    'wcag2a',
    'wcag2aa',
    'wcag21a',
    'wcag21aa',
    'best-practice',
  ]);
  for (const s of selectors) builder = builder.include(s);
  const result = await builder.analyze();
  return result.violations.flatMap((v) =>
    v.nodes.map((n) => `${v.id}: ${n.target.join(' ')}: ${n.failureSummary ?? ''}`),
  );
}

test('the preset picker lists every preset, applies one with its story and says when the run is custom', async ({
  lab,
  page,
}) => {
  await lab.open({ preset: 'mlp-circles' });
  const picker = page.getByTestId('preset.select');
  const story = page.getByTestId('preset.story');
  // Opened with ?preset=: the picker names it and its story is on the page.
  await expect(picker).toHaveValue('mlp-circles');
  await expect(story).toContainText(PRESETS.find((p) => p.id === 'mlp-circles')!.explanation);
  const options = await picker.locator('option').allTextContents();
  for (const p of PRESETS) expect(options, `the picker lists ${p.id}`).toContain(p.label);

  // Choosing a preset applies its whole experiment (not a plain spiral) and restarts.
  await picker.selectOption('mlp-spiral');
  await expect(picker).toHaveValue('mlp-spiral');
  await expect(story).toContainText(PRESETS.find((p) => p.id === 'mlp-spiral')!.explanation);
  await expect.poll(() => new URL(page.url()).searchParams.get('preset')).toBe('mlp-spiral');
  const params = new URL(page.url()).searchParams;
  expect(params.get('features')).toBe('x,y,sinx,siny');
  expect(params.get('lr')).toBe('0.01');
  expect(params.get('warmup')).toBe('40');
  const status = await lab.waitForReady();
  expect(status.model).toBe('mlp');

  // A changed field: the picker no longer claims the preset.
  const seed = page.locator('#seed-input');
  await seed.fill('7');
  await seed.press('Enter');
  await expect(picker.locator('option:checked')).toHaveText(
    'custom (from mlp-spiral: seed changed)',
  );
  await expect(page.getByTestId('preset.story.changed')).toContainText('seed');
  // The link still names the preset it came from, and opening it gives the same state.
  await expect.poll(() => new URL(page.url()).searchParams.get('seed')).toBe('7');
  await lab.openUrl(page.url());
  await expect(picker.locator('option:checked')).toHaveText(
    'custom (from mlp-spiral: seed changed)',
  );
});

test('the report panel opens the preset it was made with', async ({ lab, page }) => {
  await lab.open(TINY);
  await lab.waitForReady();
  await page.getByTestId('report.file').setInputFiles(REPORT);
  await expect(page.getByTestId('report.lab')).toContainText(/differs from the report's preset/);
  await page.getByTestId('report.open-preset').click();
  await expect(page.getByTestId('report.lab')).toContainText(/same model and data/);
  await expect(page.getByTestId('preset.select')).toHaveValue('mlp-spiral');
  expect((await lab.waitForReady()).model).toBe('mlp');
});

test('an MLP run speaks of neurons, and its overspend has the sign its caption says', async ({
  lab,
  page,
}) => {
  await lab.open({ ...CIRCLES, stopAt: 8, autoplay: 1 });
  await lab.waitForReady();
  await lab.waitForStep(8);
  await lab.waitForPaused();
  const explain = page.getByTestId('panel.explain');
  await expect(explain).toContainText('neurons are compared with neurons');
  await expect(explain).toContainText('ref = mean over the neurons');
  expect(await explain.innerText(), 'no word of heads in an MLP run').not.toMatch(/\bheads?\b/i);
  // MAT's kernels cost more than a 6-neuron MLP's steps: an overspend, signed as its formula.
  const saving = page.getByTestId('compute.saving');
  await expect(saving).toContainText('overspend vs vanilla');
  await expect(saving).toContainText('charged / vanilla FLOPs − 1');
  await expect(saving).not.toContainText('1 − charged');
  await expect(saving.locator('.stat-value')).toHaveText(/^\+\d/);
});

test('an imported run is announced where it is seen and keeps its model view and step time', async ({
  lab,
  page,
}, testInfo) => {
  await lab.open({ ...CIRCLES, stopAt: 8, autoplay: 1 });
  await lab.waitForReady();
  await lab.waitForStep(8);
  await lab.waitForPaused();
  await expect(page.getByTestId('view.model')).toHaveAttribute('data-kind', 'boundary');

  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export run (JSON)' }).click();
  const file = testInfo.outputPath('run.json');
  await (await download).saveAs(file);
  const run = JSON.parse(await readFile(file, 'utf8')) as {
    modelView?: { step: number; view: { kind: string } };
    medianStepMs?: number | null;
  };
  expect(run.modelView?.view.kind, 'the file records the model view').toBe('boundary');
  expect(run.modelView?.step).toBe(8);
  expect(run.medianStepMs, 'the file records ms/step').toBeGreaterThan(0);

  // The Import button is far down the page; the banner must still be seen, and take focus.
  await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
  await page.getByLabel('Import a run file').setInputFiles(file);
  const banner = page.getByTestId('banner.import');
  await expect(banner).toContainText('Viewing imported run run.json');
  await expect(banner).toBeInViewport({ ratio: 1 });
  await expect(banner).toBeFocused();
  await expect(banner).not.toContainText('does not record');
  expect(await axeOn(page, ['[data-testid="banner.import"]'])).toEqual([]);
  await expect(page.getByTestId('view.model')).toHaveAttribute('data-kind', 'boundary');
  await expect(page.getByTestId('compute.ms')).toHaveText(/\d.*\/step/);

  // A file without them (written before they were recorded) says so instead of showing nothing.
  delete run.modelView;
  delete run.medianStepMs;
  await page.getByLabel('Import a run file').setInputFiles({
    name: 'old.json',
    mimeType: 'application/json',
    buffer: Buffer.from(JSON.stringify(run)),
  });
  await expect(banner).toContainText('Viewing imported run old.json');
  await expect(banner).toContainText('does not record the decision boundary');
  await expect(banner).toContainText('does not record the time per step');
  await expect(page.getByTestId('view.model')).toHaveCount(0);
});

test('error messages show what was typed as text and name the value used', async ({ lab }) => {
  await lab.open('preset=mlp-circles&features=<b>x</b>');
  await expect(lab.errorPanel).toContainText('got "<b>x</b>"');
  await expect(lab.errorPanel).toContainText("using the mlp-circles preset's x,y,x2,y2");
  await expect(lab.errorPanel).not.toContainText('\\u003c');
  await expect(lab.errorPanel.locator('b'), 'no markup from the URL is rendered').toHaveCount(0);
});

test('terms are explained where they appear, by keyboard too, with a link to How MAT decides', async ({
  lab,
  page,
}) => {
  await lab.open(CIRCLES);
  const button = page.getByRole('button', { name: 'What is mNTK?' });
  const tip = page.getByTestId('term.mntk.tip');
  await expect(tip).toBeHidden();
  // The explanation is the button's description, read on focus.
  await expect(button).toHaveAccessibleDescription(/modular neural tangent kernel/);
  await button.focus();
  await page.keyboard.press('Enter');
  await expect(tip).toBeVisible();
  await expect(button).toHaveAttribute('aria-expanded', 'true');
  expect(
    await axeOn(page, ['.app-header', '[data-testid="preset.story"]', '#preset-select']),
    'the terms, their open explanation, the story and the picker are axe-clean',
  ).toEqual([]);
  await page.keyboard.press('Escape');
  await expect(tip).toBeHidden();
  for (const name of ['λmax', 'evaluation', 'warm-up']) {
    await expect(page.getByRole('button', { name: `What is ${name}?` })).toBeVisible();
  }
  await button.click();
  await tip.getByRole('link', { name: 'How MAT decides' }).click();
  await expect(page.getByTestId('panel.explain')).toBeInViewport();
  expect(new URL(page.url()).hash).toBe('#how-mat-decides');
});

test.describe('on a phone (390 × 844)', () => {
  test.use({ viewport: { width: 390, height: 844 } });

  test('key charts come before the long explanations; targets ≥ 44 px, text ≥ 11 px', async ({
    lab,
    page,
  }) => {
    await lab.open({ ...CIRCLES, stopAt: 4, autoplay: 1 });
    await lab.waitForReady();
    await lab.waitForStep(4);
    await lab.waitForPaused();
    const top = async (testId: string) => (await page.getByTestId(testId).boundingBox())!.y;
    const charts = {
      compute: await top('counter.compute'),
      heatmap: await top('chart.heatmap'),
      timeline: await top('chart.timeline'),
    };
    const later = {
      loss: await top('chart.loss'),
      runs: await top('panel.runs'),
      boundary: await top('view.model'),
      story: await top('preset.story'),
      explain: await top('panel.explain'),
      report: await top('panel.report'),
      experiment: (await page
        .getByRole('group', { name: 'Experiment', exact: true })
        .boundingBox())!.y,
    };
    // The measured tops, for the record.
    console.log(`phone order (y, px): ${JSON.stringify({ ...charts, ...later })}`);
    for (const [chart, y] of Object.entries(charts))
      for (const [text, y2] of Object.entries(later))
        expect(y, `${chart} (y ${y}) comes before ${text} (y ${y2})`).toBeLessThan(y2);

    expect(
      await page.evaluate(() => document.documentElement.scrollWidth),
      'nothing is wider than the phone',
    ).toBeLessThanOrEqual(390);
    const measured = await page.evaluate(() => {
      const small: string[] = [];
      const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
      for (let n = walker.nextNode(); n; n = walker.nextNode()) {
        const el = n.parentElement;
        if (!el || !n.textContent?.trim() || !el.checkVisibility()) continue;
        const r = el.getBoundingClientRect();
        if (r.width <= 1 || r.height <= 1) continue;
        const size = parseFloat(getComputedStyle(el).fontSize);
        if (size < 11) small.push(`${size}px: ${n.textContent.trim().slice(0, 40)}`);
      }
      const short: string[] = [];
      const targets = document.querySelectorAll(
        'button, select, input, a[href], summary, [role="button"], [tabindex="0"]',
      );
      for (const el of targets) {
        if (!(el as HTMLElement).checkVisibility()) continue;
        const r = el.getBoundingClientRect();
        if (r.width <= 1 || r.height <= 1) continue; // visually hidden (the file inputs)
        // The network diagram's neurons are as dense as the network (WCAG 2.5.8's spacing and
        // equivalent exceptions: each is also a row of the heatmap and the timeline).
        if (el.closest('svg')) continue;
        if (r.height < 43.5)
          short.push(
            `${Math.round(r.height)}px: ${el.tagName} ${el.textContent?.trim().slice(0, 30) ?? ''}`,
          );
      }
      return { small, short, targets: targets.length };
    });
    expect(measured.small, 'visible text under 11 px').toEqual([]);
    expect(measured.short, 'tap targets under 44 px tall').toEqual([]);
    expect(measured.targets).toBeGreaterThan(10);
    await page.screenshot({ path: test.info().outputPath('phone.png'), fullPage: true });
  });
});
