import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { unzipSync } from 'fflate';
import { expect, test } from './fixtures';
import { TINY } from './lab.page';

/*
 * "Export as PyTorch" (issue 13): the button downloads the folder as a zip; its scripts compile
 * (python3 -m py_compile) and its data preparation fetches the lab's own data from this server,
 * checked against the lab's checksums. The agreement of the script with the lab is tested in
 * Vitest (src/export/torch/torch-export.test.ts), where PyTorch runs it.
 */
test('Export as PyTorch downloads a folder whose scripts compile and fetch the lab’s data', async ({
  lab,
  page,
}, testInfo) => {
  await lab.open({ ...TINY, seed: 7 });
  await lab.waitForReady();
  const download = page.waitForEvent('download');
  await page.getByRole('button', { name: 'Export as PyTorch' }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe('mat-torch-bert-seed7.zip');
  const zipPath = testInfo.outputPath('export.zip');
  await file.saveAs(zipPath);

  const entries = unzipSync(readFileSync(zipPath));
  const dir = testInfo.outputPath('export');
  for (const [path, data] of Object.entries(entries)) {
    const out = join(dir, path);
    mkdirSync(dirname(out), { recursive: true });
    writeFileSync(out, data);
  }
  const folder = join(dir, 'mat-torch-bert-seed7');
  for (const f of ['mat_train.py', 'prepare_data.py', 'requirements.txt', 'README.md']) {
    expect(entries[`mat-torch-bert-seed7/${f}`], f).toBeDefined();
  }
  const config = JSON.parse(readFileSync(join(folder, 'config.json'), 'utf8')) as Record<
    string,
    unknown
  >;
  expect(config).toMatchObject({ model: 'bert', layers: 1, heads: 2, dModel: 16, seed: 7 });

  execFileSync('python3', ['-m', 'py_compile', 'mat_train.py', 'prepare_data.py'], {
    cwd: folder,
  });
  // The default data source is this lab's data/ URL: the corpus comes from the server.
  const out = execFileSync('python3', ['prepare_data.py'], { cwd: folder, encoding: 'utf8' });
  expect(out).toContain('data/austen/train.bin: 1557504 bytes');
});

test('Export as PyTorch says which families it does not cover', async ({ lab, page }) => {
  await lab.open('preset=mlp-circles');
  await lab.waitForReady();
  await page.getByRole('button', { name: 'Export as PyTorch' }).click();
  await expect(lab.errorPanel).toContainText('the 2D toy MLP is not ported');
});
