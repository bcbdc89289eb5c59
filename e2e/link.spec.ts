import { expect, test } from './fixtures';
import { presetConfig } from '../src/core/presets';
import { sliderMoves } from '../src/core/testing/slider-moves';
import { shareableLink, shareableSearch } from '../src/store/url-state';

/** mlp-spiral on WASM (ready in a second) with 1,000 typical slider moves. */
const CONFIG = {
  ...presetConfig('mlp-spiral')!,
  backend: 'wasm' as const,
  events: sliderMoves(1000),
};
const PAGE: [string, string][] = [['preset', 'mlp-spiral']];

test('a link with 1,000 slider moves opens from its compressed fragment; its plain query gets 431', async ({
  lab,
  page,
}, testInfo) => {
  const plain = shareableSearch(CONFIG, PAGE);
  const link = shareableLink(CONFIG, PAGE);
  expect(link.search).toBe('');
  expect(link.hash.length, 'the stated bound: 8 KiB').toBeLessThan(8 * 1024);
  const sizes = `plain query ${plain.length} characters, compressed link ${link.hash.length}`;
  testInfo.annotations.push({ type: 'sizes', description: sizes });
  console.info(`1,000 slider moves: ${sizes}`);

  // The old form never reaches the page: the server refuses its request line.
  const old = await page.request.get(`/${plain}`);
  expect(old.status(), 'a 21 KB query is refused by the server').toBe(431);

  const response = await page.goto(`/${link.hash}`);
  expect(response?.status()).toBe(200);
  await lab.waitForHook();
  await lab.waitForReady();
  await expect(lab.errorPanel).toHaveCount(0);
  // The page rewrites the address from what it parsed: the same link, so every event was read.
  await expect.poll(() => new URL(page.url()).hash).toBe(link.hash);
  expect(new URL(page.url()).search).toBe('');
  expect((await lab.lab.status()).model).toBe('mlp');

  // Following an in-page anchor replaces the fragment; the page writes the link back.
  await page.evaluate(() => {
    location.hash = '#how-mat-decides';
  });
  await expect.poll(() => new URL(page.url()).hash).toBe(link.hash);
});

test('old ?query links and plain #fragment links still open, and stay plain when short', async ({
  lab,
  page,
}) => {
  for (const form of ['?', '#']) {
    await lab.openUrl(`/${form}preset=mlp-spiral&alpha=1.25&backend=wasm`);
    await lab.waitForReady();
    expect(await lab.rangeValue(lab.alpha), `${form}: α from the link`).toBeCloseTo(1.25, 6);
    await expect(lab.errorPanel).toHaveCount(0);
    // Rewritten as the full plain query; a plain fragment is not kept.
    await expect.poll(() => new URL(page.url()).searchParams.get('alpha')).toBe('1.25');
    expect(new URL(page.url()).hash).toBe('');
  }
});
