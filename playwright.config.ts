import { defineConfig } from '@playwright/test';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from './e2e/chromium';

const CI = !!process.env.CI;
const PORT = Number(process.env.E2E_PORT ?? 4173);
/** Its own build folder per port, so test runs on different ports (E2E_PORT) can run side by side. */
const OUT_DIR = process.env.E2E_PORT ? `dist-test-${PORT}` : 'dist-test';

/**
 * End-to-end tests in a real Chromium on WebGPU. Without a GPU the adapter is SwiftShader:
 * about ten times slower than WASM and seconds of shader compilation on the first step, so
 * specs use tiny models, one worker, and long timeouts.
 *
 * The app is tested as built, with the `window.__lab` hook compiled in (VITE_LAB_HOOK=1), from
 * its own output folder so `npm run build`'s dist/ stays free of test hooks.
 */
export default defineConfig({
  testDir: './e2e',
  testMatch: '*.spec.ts',
  outputDir: process.env.E2E_PORT ? `./test-results-${PORT}` : './test-results',
  fullyParallel: false,
  workers: 1,
  retries: CI ? 1 : 0,
  forbidOnly: CI,
  timeout: 180_000,
  expect: { timeout: 60_000 },
  reporter: 'list',
  use: {
    baseURL: `http://localhost:${PORT}`,
    browserName: 'chromium',
    headless: true,
    launchOptions: { executablePath: CHROMIUM_PATH, args: CHROMIUM_ARGS },
    viewport: { width: 1280, height: 900 },
    contextOptions: { reducedMotion: 'reduce' },
    actionTimeout: 30_000,
    navigationTimeout: 60_000,
    screenshot: 'only-on-failure',
    trace: 'on-first-retry',
  },
  webServer: {
    command: `npx vite build --outDir ${OUT_DIR} && npx vite preview --outDir ${OUT_DIR} --port ${PORT} --strictPort`,
    env: { VITE_LAB_HOOK: '1' },
    url: `http://localhost:${PORT}`,
    // Always build and serve a fresh test bundle: a preview of dist/ (no hook) on the same port
    // would otherwise be picked up and every spec would fail for want of window.__lab.
    reuseExistingServer: process.env.E2E_REUSE_SERVER === '1',
    timeout: 300_000,
    stdout: 'ignore',
    stderr: 'pipe',
  },
});
