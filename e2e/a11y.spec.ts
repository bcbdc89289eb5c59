import { mkdirSync } from 'node:fs';
import AxeBuilder from '@axe-core/playwright';
import type { Locator, Page } from '@playwright/test';
import { PRESETS } from '../src/core/presets';
import { expect, test } from './fixtures';
import type { LabPage } from './lab.page';
import { chartInk } from './lab.page';

/**
 * Accessibility and comfort: axe on every preset's page in light and dark, the structure axe
 * does not see (unnamed tab stops, live regions), the keyboard (grid cursor, drill-down, focus,
 * shortcuts), the theme, and presenter mode's one-screen layout. With SCREENSHOTS=1 it also
 * writes docs/screenshots/*.png (CI leaves the tree clean).
 */

/**
 * WCAG 2.0 and 2.1, levels A and AA, and axe's best practices (heading order, landmarks): the
 * rules checked here.
 */
const AXE_TAGS = ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'];

type Params = Record<string, string>;

/**
 * Per family: URL parameters that keep the page the preset's (same model kind, same panels) but
 * small enough for SwiftShader, and the steps trained before the check. The transformers and
 * the VGG compile shaders for many seconds: they are checked after `ready` and one step.
 */
const FAST: Record<string, { params: Params; steps: number }> = {
  mlp: { params: { K: '2', warmup: '2', valEvery: '4', points: '120' }, steps: 8 },
  bert: {
    params: { K: '2', warmup: '2', valEvery: '1000', dModel: '16', dFF: '32', vocab: '100' },
    steps: 1,
  },
  switch: {
    params: { K: '2', warmup: '2', valEvery: '1000', dModel: '16', dFF: '32', vocab: '100' },
    steps: 1,
  },
  vgg: {
    params: {
      K: '2',
      warmup: '2',
      valEvery: '1000',
      channels: '8,16',
      groupSize: '4',
      images: '200',
      batch: '8',
      probe: '4',
    },
    steps: 1,
  },
};

const fastFor = (id: string) => FAST[PRESETS.find((p) => p.id === id)?.config.model ?? 'bert']!;

/** Axe's violations on the page as it is, one line each (rule, impact, where, why). */
async function axeViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).withTags(AXE_TAGS).analyze();
  return result.violations.flatMap((v) =>
    v.nodes.map(
      (n) => `${v.id} (${v.impact ?? '?'}): ${n.target.join(' ')} — ${n.failureSummary ?? ''}`,
    ),
  );
}

/**
 * What axe does not check: every tab stop has a name (recharts' SVG was an unnamed
 * `role="application"`), no assertive live region (recharts' tooltip), the step counter is in no
 * live region (it would be read out at every step), and headings never skip a level.
 */
async function structureProblems(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const problems: string[] = [];
    const named = (el: Element) =>
      (el.getAttribute('aria-label') ?? '').trim() !== '' ||
      (el.getAttribute('aria-labelledby') ?? '').trim() !== '' ||
      (el.textContent ?? '').trim() !== '' ||
      ((el as HTMLInputElement).labels?.length ?? 0) > 0;
    for (const el of document.querySelectorAll<HTMLElement>('[tabindex]')) {
      if (el.tabIndex >= 0 && !named(el))
        problems.push(
          `unnamed tab stop <${el.tagName.toLowerCase()} role=${el.getAttribute('role')}>`,
        );
    }
    for (const el of document.querySelectorAll('[role="application"]'))
      if (!el.getAttribute('aria-label')) problems.push('role=application without a name');
    for (const el of document.querySelectorAll('[aria-live="assertive"]'))
      problems.push(`assertive live region ${el.className}`);
    const counter = document.querySelector('.step-value');
    if (counter?.closest('[aria-live]:not([aria-live="off"]), [role="status"], [role="log"]'))
      problems.push('the step counter is inside a live region');
    let last = 0;
    for (const h of document.querySelectorAll('h1, h2, h3, h4, h5, h6')) {
      const rect = h.getBoundingClientRect();
      const hidden =
        rect.width === 0 && rect.height === 0 && !h.classList.contains('visually-hidden');
      if (hidden) continue;
      const level = Number(h.tagName[1]);
      if (last > 0 && level > last + 1)
        problems.push(`heading h${last} → h${level}: "${(h.textContent ?? '').slice(0, 40)}"`);
      last = level;
    }
    return problems;
  });
}

/** Opens a preset small enough for SwiftShader, trains a few steps and pauses. */
async function openPreset(lab: LabPage, id: string, extra: Params = {}): Promise<void> {
  const fast = fastFor(id);
  await lab.open({ preset: id, backend: 'webgpu', ...fast.params, ...extra });
  await lab.waitForReady(120_000);
  await lab.step.click();
  await lab.waitForStep(1);
  if (fast.steps > 1) {
    await lab.play.click();
    await lab.waitForStep(fast.steps);
    await lab.pause.click();
  }
  await lab.waitForPaused();
}

async function expectTheme(page: Page, theme: 'light' | 'dark'): Promise<void> {
  await expect(page.locator('html')).toHaveAttribute('data-theme', theme);
}

/** Whether the focus ring (outline + offset) of `el` fits inside every clipping ancestor. */
async function focusRingClipped(el: Locator): Promise<string[]> {
  return el.evaluate((node) => {
    const style = getComputedStyle(node);
    const ring = parseFloat(style.outlineWidth) + Math.max(0, parseFloat(style.outlineOffset));
    const r = node.getBoundingClientRect();
    const out: string[] = [];
    if (!(ring > 0)) out.push('no focus ring');
    for (let p = node.parentElement; p; p = p.parentElement) {
      const s = getComputedStyle(p);
      if (s.overflowX === 'visible' && s.overflowY === 'visible') continue;
      const box = p.getBoundingClientRect();
      const left = box.left + p.clientLeft;
      const top = box.top + p.clientTop;
      if (
        r.left - ring < left - 0.5 ||
        r.top - ring < top - 0.5 ||
        r.right + ring > left + p.clientWidth + 0.5 ||
        r.bottom + ring > top + p.clientHeight + 0.5
      )
        out.push(`clipped by <${p.tagName.toLowerCase()} class="${p.className}">`);
    }
    return out;
  });
}

/** The element has its whole box inside the window. */
async function expectInViewport(page: Page, el: Locator, what: string): Promise<void> {
  await expect(el, `${what} is visible`).toBeVisible();
  const box = await el.boundingBox();
  const vp = page.viewportSize()!;
  expect(box, `${what} has a box`).not.toBeNull();
  expect(box!.x, `${what} left`).toBeGreaterThanOrEqual(0);
  expect(box!.y, `${what} top`).toBeGreaterThanOrEqual(0);
  expect(box!.x + box!.width, `${what} right`).toBeLessThanOrEqual(vp.width + 0.5);
  expect(box!.y + box!.height, `${what} bottom`).toBeLessThanOrEqual(vp.height + 0.5);
}

const SHOTS = process.env.SCREENSHOTS === '1';
const SHOT_DIR = 'docs/screenshots';
async function shot(page: Page, name: string): Promise<void> {
  if (!SHOTS) return;
  mkdirSync(SHOT_DIR, { recursive: true });
  await page.mouse.move(0, 0);
  await page.screenshot({ path: `${SHOT_DIR}/${name}.png` });
}

// The wider presets show the same panels as their families' presets (more rows of the same
// heatmap and timeline), so axe checks those; it would add ≈ 1–2 min per preset to CI.
for (const preset of PRESETS.filter((p) => !p.id.endsWith('-wide'))) {
  test(`axe: preset ${preset.id}, light and dark: no violation, no unnamed tab stop`, async ({
    lab,
    page,
  }, testInfo) => {
    await page.emulateMedia({ colorScheme: 'light' });
    await openPreset(lab, preset.id);
    // Open what is folded, so axe sees it too.
    await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
    // And a module's drill-down (its two charts), from the heatmap with the keyboard.
    await lab.heatmap.locator('canvas').focus();
    await page.keyboard.press('Enter');
    await expect(page.locator('.drilldown')).toBeVisible();
    const found: Record<string, string[]> = {};
    for (const scheme of ['light', 'dark'] as const) {
      // The theme follows the system's colour scheme.
      await page.emulateMedia({ colorScheme: scheme });
      await expectTheme(page, scheme);
      await page.mouse.move(0, 0);
      found[scheme] = [...(await axeViolations(page)), ...(await structureProblems(page))];
      testInfo.annotations.push({
        type: 'axe',
        description: `${preset.id} ${scheme}: ${found[scheme].length} violating nodes`,
      });
    }
    expect(found, JSON.stringify(found, null, 1)).toEqual({ light: [], dark: [] });
  });
}

test('keyboard: grid cursor opens the drill-down, focus stays on the run controls, shortcuts', async ({
  lab,
  page,
}) => {
  await openPreset(lab, 'mlp-circles');
  const modules = await lab.lab.modules();
  expect(modules.length).toBe(6);

  // Play / Pause with Enter: the focus stays on the run controls (never drops to the page).
  await lab.play.focus();
  await page.keyboard.press('Enter');
  await expect.poll(async () => (await lab.lab.status()).running).toBe(true);
  const group = page.getByRole('group', { name: 'Run controls' });
  expect(await group.evaluate((g) => g.contains(document.activeElement))).toBe(true);
  expect(await focusRingClipped(page.locator(':focus'))).toEqual([]);
  await page.keyboard.press('Enter');
  await lab.waitForPaused();
  expect(await group.evaluate((g) => g.contains(document.activeElement))).toBe(true);
  expect(await focusRingClipped(page.locator(':focus'))).toEqual([]);

  // The heatmap takes focus; arrows move a visible cursor; Enter opens that module.
  const canvas = lab.heatmap.locator('canvas');
  await canvas.focus();
  expect(await focusRingClipped(canvas)).toEqual([]);
  const cursor = lab.heatmap.getByTestId('grid.cursor');
  await expect(cursor).toBeVisible();
  const first = await cursor.boundingBox();
  await page.keyboard.press('ArrowDown');
  await page.keyboard.press('ArrowDown');
  const third = await cursor.boundingBox();
  expect(third!.y).toBeGreaterThan(first!.y);
  await page.keyboard.press('ArrowLeft');
  expect((await cursor.boundingBox())!.x).toBeLessThan(third!.x);
  await expect(lab.heatmap.getByTestId('grid.cursor-text')).toContainText(modules[2]!.id);
  await page.keyboard.press('Enter');
  const drill = page.locator('.drilldown');
  await expect(drill.locator('h2')).toContainText(modules[2]!.id);
  // j / k: next / previous module (the drill-down follows), not play / pause.
  await page.keyboard.press('j');
  await expect(drill.locator('h2')).toContainText(modules[3]!.id);
  await page.keyboard.press('k');
  await expect(drill.locator('h2')).toContainText(modules[2]!.id);
  expect((await lab.lab.status()).running).toBe(false);

  // The timeline too, and the network diagram's neurons.
  await lab.timeline.locator('canvas').focus();
  await page.keyboard.press('End');
  await page.keyboard.press('Enter');
  await expect(drill.locator('h2')).toContainText(modules[0]!.id);
  const neuron = page.locator(`[data-module="${modules[5]!.id}"]`);
  await neuron.focus();
  await page.keyboard.press('Enter');
  await expect(drill.locator('h2')).toContainText(modules[5]!.id);

  // Shortcuts, with the focus on the page.
  await page.locator('h1').click();
  await page.keyboard.press('?');
  const sheet = page.getByTestId('dialog.shortcuts');
  await expect(sheet).toBeVisible();
  await expect(sheet).toContainText('play / pause');
  await page.keyboard.press('Escape');
  await expect(sheet).toBeHidden();

  const alpha = await lab.rangeValue(lab.alpha);
  await page.keyboard.press(']');
  await expect.poll(() => lab.rangeValue(lab.alpha)).toBeCloseTo(alpha + 0.05, 6);
  await page.keyboard.press('[');
  await expect.poll(() => lab.rangeValue(lab.alpha)).toBeCloseTo(alpha, 6);
  const beta = await lab.rangeValue(lab.beta);
  await page.keyboard.press("'");
  await expect.poll(() => lab.rangeValue(lab.beta)).toBeCloseTo(beta + 0.005, 6);
  await page.keyboard.press(';');
  await expect.poll(() => lab.rangeValue(lab.beta)).toBeCloseTo(beta, 6);

  const before = (await lab.lab.status()).step;
  await page.keyboard.press('.');
  await lab.waitForStep(before + 1);
  await page.keyboard.press('k');
  await expect.poll(async () => (await lab.lab.status()).running).toBe(true);
  await page.keyboard.press('k');
  await lab.waitForPaused();

  // Not while typing: r in a number field types, it does not reset.
  await page.evaluate(() => document.querySelectorAll('details').forEach((d) => (d.open = true)));
  const field = page
    .locator('.sidebar input:not([type="range"]):not([type="file"]):not([readonly])')
    .first();
  const stepNow = (await lab.lab.status()).step;
  expect(stepNow).toBeGreaterThan(0);
  await field.focus();
  await page.keyboard.press('r');
  await page.keyboard.press('p');
  await page.waitForTimeout(300);
  expect((await lab.lab.status()).step).toBe(stepNow);
  await expect(page.getByTestId('presenter')).toHaveCount(0);

  await page.locator('h1').click();
  await page.keyboard.press('p');
  await expect(page.getByTestId('presenter')).toBeVisible();
  expect(new URL(page.url()).searchParams.get('present')).toBe('1');
  await page.keyboard.press('p');
  await expect(page.getByTestId('presenter')).toHaveCount(0);
  expect(new URL(page.url()).searchParams.get('present')).toBeNull();
  await page.keyboard.press('r');
  await expect.poll(async () => (await lab.lab.status()).step).toBe(0);
});

test('theme: follows the system, the toggle overrides it and is remembered, ?theme= wins', async ({
  lab,
  page,
}) => {
  await page.emulateMedia({ colorScheme: 'dark' });
  await openPreset(lab, 'mlp-circles');
  await expectTheme(page, 'dark');
  const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
  const darkBg = await bg();
  const darkInk = await chartInk(lab.heatmap);
  const toggle = page.getByTestId('page.theme');
  await expect(toggle).toHaveAttribute('aria-pressed', 'true');
  await toggle.click();
  await expectTheme(page, 'light');
  expect(await bg()).not.toBe(darkBg);
  // The canvas redraws in the theme's colours (its labels and separators).
  await expect.poll(async () => (await chartInk(lab.heatmap)).digest).not.toBe(darkInk.digest);
  expect(await page.evaluate(() => localStorage.getItem('mat-lab-theme'))).toBe('light');
  // Remembered over the system's dark.
  await page.reload();
  await lab.waitForHook();
  await expectTheme(page, 'light');
  // A link's theme wins for that page.
  await lab.open({ preset: 'mlp-circles', theme: 'dark', ...fastFor('mlp-circles').params });
  await expectTheme(page, 'dark');
  expect(new URL(page.url()).searchParams.get('theme')).toBe('dark');
});

for (const viewport of [
  { width: 1280, height: 720 },
  { width: 1920, height: 1080 },
]) {
  test(`presenter mode at ${viewport.width}×${viewport.height}: one screen, reduced controls, the story`, async ({
    lab,
    page,
  }) => {
    await page.setViewportSize(viewport);
    await page.emulateMedia({ colorScheme: 'light' });
    await lab.open({
      preset: 'mlp-spiral',
      backend: 'webgpu',
      present: '1',
      hide: 'share',
      ...fastFor('mlp-spiral').params,
    });
    await lab.waitForReady(120_000);
    await lab.play.click();
    await lab.waitForEvaluations(6);
    await lab.pause.click();
    await lab.waitForPaused();
    await expect(page.getByTestId('presenter')).toBeVisible();
    await expect(page.getByTestId('presenter.caption')).toHaveText(
      PRESETS.find((p) => p.id === 'mlp-spiral')!.explanation,
    );
    for (const [el, what] of [
      [lab.heatmap, 'heatmap'],
      [lab.timeline, 'timeline'],
      [lab.compute, 'compute counter'],
      [lab.play, 'play'],
      [lab.pause, 'pause'],
      [lab.alpha, 'α slider'],
      [lab.beta, 'β slider'],
      [page.getByTestId('presenter.caption'), 'caption'],
    ] as const)
      await expectInViewport(page, el, what);
    // No scrolling, and the controls reduced to play / pause and the two sliders.
    const size = await page.evaluate(() => ({
      h: document.documentElement.scrollHeight,
      w: document.documentElement.scrollWidth,
    }));
    expect(size.h).toBeLessThanOrEqual(viewport.height);
    expect(size.w).toBeLessThanOrEqual(viewport.width);
    await expect(lab.step).toHaveCount(0);
    await expect(lab.reset).toHaveCount(0);
    await expect(lab.lossChart).toHaveCount(0);
    // Big type: the caption and step counter are larger than the full page's body text.
    const px = (l: Locator) => l.evaluate((e) => parseFloat(getComputedStyle(e).fontSize));
    expect(await px(page.getByTestId('presenter.caption'))).toBeGreaterThanOrEqual(20);
    // The flags stay in the link.
    const url = new URL(page.url());
    expect(url.searchParams.get('present')).toBe('1');
    expect(url.searchParams.get('hide')).toBe('share');
    expect((await axeViolations(page)).concat(await structureProblems(page))).toEqual([]);
    if (viewport.width === 1280) {
      await shot(page, 'presenter-light');
      await page.emulateMedia({ colorScheme: 'dark' });
      await expectTheme(page, 'dark');
      expect(await axeViolations(page)).toEqual([]);
      await shot(page, 'presenter-dark');
    }
    // Hide flags: the sliders go.
    await lab.open({
      preset: 'mlp-spiral',
      present: '1',
      hide: 'sliders',
      ...fastFor('mlp-spiral').params,
    });
    await expect(page.getByTestId('presenter')).toBeVisible();
    await expect(lab.alpha).toHaveCount(0);
    await expect(lab.play).toBeVisible();
    // The button leaves presenter mode and drops the flag from the link.
    await page.getByTestId('presenter.exit').click();
    await expect(page.getByTestId('presenter')).toHaveCount(0);
    expect(new URL(page.url()).searchParams.get('present')).toBeNull();
    expect(new URL(page.url()).searchParams.get('hide')).toBe('sliders');
    await expect(lab.alpha).toHaveCount(0);
  });
}

test('screenshots: default page and phone, light and dark (SCREENSHOTS=1)', async ({
  lab,
  page,
}) => {
  // Skipped unless SCREENSHOTS=1: it writes docs/screenshots/*.png into the tree, which a CI run
  // must leave clean; the committed screenshots were written by `SCREENSHOTS=1 npx playwright
  // test e2e/a11y.spec.ts`.
  test.skip(!SHOTS, 'set SCREENSHOTS=1 to write docs/screenshots/*.png');
  for (const [name, viewport] of [
    ['default', { width: 1440, height: 1000 }],
    ['phone', { width: 390, height: 844 }],
  ] as const) {
    await page.setViewportSize(viewport);
    await page.emulateMedia({ colorScheme: 'light' });
    await openPreset(lab, 'mlp-spiral');
    await lab.play.click();
    await lab.waitForEvaluations(10);
    await lab.pause.click();
    await lab.waitForPaused();
    await shot(page, `${name}-light`);
    await page.emulateMedia({ colorScheme: 'dark' });
    await expectTheme(page, 'dark');
    await shot(page, `${name}-dark`);
  }
});
