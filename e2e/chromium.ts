/**
 * How the e2e suite launches Chromium; shared by playwright.config.ts and the spec that needs a
 * browser without WebGPU. See /work/shared/docs/WEBGPU-TESTING.md.
 */

/** Debian's chromium; never `npx playwright install` (no downloads on CI or dev boxes). */
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Every flag except the one WebGPU needs. */
export const BASE_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
  '--disable-dev-shm-usage',
];

/**
 * Without `--enable-unsafe-webgpu`, `navigator.gpu` exists but `requestAdapter()` returns null
 * (in the page and in workers) and TF.js would silently fall back to WebGL. On a machine without
 * a GPU the adapter is SwiftShader (`google/swiftshader`, a fallback adapter).
 */
export const WEBGPU_FLAG = '--enable-unsafe-webgpu';

export const CHROMIUM_ARGS = [...BASE_ARGS, WEBGPU_FLAG];
