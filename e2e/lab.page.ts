import { expect } from '@playwright/test';
import type { Locator, Page, Worker } from '@playwright/test';

import { FLOP_PARTS } from '../src/core/flops';
import type { LabHook } from '../src/lab-hook';
import { formatFlops } from '../src/report/format';

/** The `window.__lab` test hook of dev and test builds (src/lab-hook.ts, VITE_LAB_HOOK=1). */
export type { LabHook };
export type LabStatus = Awaited<ReturnType<LabHook['status']>>;
export type LabModule = Awaited<ReturnType<LabHook['modules']>>[number];
export type LabHistory = Awaited<ReturnType<LabHook['history']>>;
export type LabEvaluation = LabHistory['evaluations'][number];
export type LabEvent = LabHistory['events'][number];

type Params = Record<string, string | number | boolean>;

/**
 * A model small enough for SwiftShader: a step takes a fraction of a second after the first
 * (which compiles shaders for seconds). An evaluation every 2 steps, MAT deciding from step 2.
 */
export const TINY: Params = {
  layers: 1,
  heads: 2,
  dModel: 16,
  dFF: 32,
  seqLen: 8,
  vocab: 100,
  batch: 4,
  probe: 4,
  R: 2,
  K: 2,
  warmup: 2,
  valEvery: 1000,
  valBatches: 1,
};

export function query(params: Params): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params))
    q.set(k, typeof v === 'boolean' ? (v ? '1' : '0') : String(v));
  return q.toString();
}

export class LabPage {
  readonly play: Locator;
  readonly pause: Locator;
  readonly step: Locator;
  readonly reset: Locator;
  readonly alpha: Locator;
  readonly beta: Locator;
  readonly lossChart: Locator;
  readonly heatmap: Locator;
  readonly timeline: Locator;
  readonly compute: Locator;
  readonly backendBadge: Locator;
  readonly errorPanel: Locator;

  constructor(readonly page: Page) {
    const id = (t: string) => page.getByTestId(t);
    this.play = id('controls.play');
    this.pause = id('controls.pause');
    this.step = id('controls.step');
    this.reset = id('controls.reset');
    this.alpha = id('slider.alpha');
    this.beta = id('slider.beta');
    this.lossChart = id('chart.loss');
    this.heatmap = id('chart.heatmap');
    this.timeline = id('chart.timeline');
    this.compute = id('counter.compute');
    this.backendBadge = id('badge.backend');
    this.errorPanel = id('panel.error');
  }

  /** Opens the app with these URL params (or a raw query string) and waits for the test hook. */
  async open(params: Params | string = {}): Promise<void> {
    const q = typeof params === 'string' ? params.replace(/^\?/, '') : query(params);
    await this.page.goto(q ? `/?${q}` : '/');
    await this.waitForHook();
  }

  /** Navigates to an absolute URL (e.g. the one the app wrote into `location`). */
  async openUrl(url: string): Promise<void> {
    await this.page.goto(url);
    await this.waitForHook();
  }

  async waitForHook(): Promise<void> {
    await this.page.waitForFunction(() => window.__lab !== undefined, undefined, {
      timeout: 30_000,
    });
  }

  /** Typed access to `window.__lab`; each call runs in the page. */
  readonly lab = {
    status: () => this.page.evaluate(() => window.__lab!.status()),
    modules: () => this.page.evaluate(() => window.__lab!.modules()),
    history: () => this.page.evaluate(() => window.__lab!.history()),
    losses: () => this.page.evaluate(() => window.__lab!.losses()),
    saves: () => this.page.evaluate(() => window.__lab!.saves()),
  };

  /** Destroys the training worker's WebGPU device (`self.__labWorker`, src/worker/test-hook.ts). */
  async destroyDevice(): Promise<boolean> {
    const worker = await this.trainerWorker();
    return worker.evaluate(() =>
      (
        self as unknown as { __labWorker: { destroyDevice(): boolean } }
      ).__labWorker.destroyDevice(),
    );
  }

  /**
   * Waits until the worker answered `ready` (a backend is reported). Fails at once, with its
   * text, if panel.error reports that the run stopped instead.
   */
  async waitForReady(timeout = 60_000): Promise<LabStatus> {
    let stopped: string | null = null;
    await expect
      .poll(
        async () => {
          if ((await this.lab.status()).backend) return true;
          const panel = (await this.errorPanel.isVisible())
            ? await this.errorPanel.innerText()
            : '';
          if (/has stopped/i.test(panel)) stopped = panel;
          return stopped !== null;
        },
        { message: 'worker reports a backend (ready)', timeout },
      )
      .toBe(true);
    const status = await this.lab.status();
    expect(status.backend, `the run could not start: ${stopped ?? ''}`).toBeTruthy();
    return status;
  }

  /** The dedicated worker that trains (the app names it `mat-lab-trainer`). */
  async trainerWorker(): Promise<Worker> {
    for (const w of this.page.workers()) {
      if ((await w.evaluate(() => self.name).catch(() => '')) === 'mat-lab-trainer') return w;
    }
    throw new Error(`no worker named mat-lab-trainer among ${this.page.workers().length} workers`);
  }

  /** Waits until at least `n` training steps are done. */
  async waitForStep(n: number, timeout = 120_000): Promise<void> {
    await expect
      .poll(async () => (await this.lab.status()).step, { message: `step ≥ ${n}`, timeout })
      .toBeGreaterThanOrEqual(n);
  }

  /** Waits until the run has stopped (e.g. at `stopAt`). */
  async waitForPaused(timeout = 120_000): Promise<void> {
    await expect
      .poll(async () => (await this.lab.status()).running, { message: 'run paused', timeout })
      .toBe(false);
  }

  /** Waits until at least `n` mNTK evaluations are in the history. */
  async waitForEvaluations(n: number, timeout = 120_000): Promise<LabHistory> {
    await expect
      .poll(async () => (await this.lab.history()).evaluations.length, {
        message: `≥ ${n} evaluations`,
        timeout,
      })
      .toBeGreaterThanOrEqual(n);
    return this.lab.history();
  }

  /**
   * The worker trains on WebGPU: TF.js inside the worker reports `webgpu` (not a silent WebGL
   * fallback). On this kind of machine the adapter is SwiftShader; that is noted, not required.
   */
  async assertWebGPU(): Promise<LabStatus> {
    const s = await this.lab.status();
    expect(s.backend, `backend inside the worker (adapter "${s.adapter}")`).toBe('webgpu');
    expect(s.adapter, 'a WebGPU adapter is described').toBeTruthy();
    if (/swiftshader/i.test(s.adapter))
      expect(s.isFallbackAdapter, 'SwiftShader is a fallback adapter').toBe(true);
    return s;
  }

  /**
   * Sets a range input the way a user's drag does for React: the native value setter (so
   * React's value tracker sees a change) then a bubbling `input` and `change` event.
   */
  async setRange(slider: Locator, value: number | string): Promise<void> {
    await slider.evaluate((el, v) => {
      const input = el as HTMLInputElement;
      const setter = Object.getOwnPropertyDescriptor(HTMLInputElement.prototype, 'value')!.set!;
      setter.call(input, String(v));
      input.dispatchEvent(new Event('input', { bubbles: true }));
      input.dispatchEvent(new Event('change', { bubbles: true }));
    }, String(value));
  }

  async rangeValue(slider: Locator): Promise<number> {
    return Number(await slider.inputValue());
  }

  async rangeMax(slider: Locator): Promise<number> {
    return Number((await slider.getAttribute('max')) ?? '100');
  }

  /**
   * The compute counter's FLOPs by part (`compute.split.<part>`), its total row and the totals
   * shown above it (`compute.charged`, `compute.vanilla`), read in one go: one rendered frame.
   */
  async computeSplit(): Promise<ComputeSplitShown> {
    return this.page.evaluate(
      (parts) => {
        const el = (id: string) => document.querySelector(`[data-testid="${id}"]`);
        const num = (id: string, attr: string) => Number(el(id)?.getAttribute(attr) ?? NaN);
        const text = (id: string) => el(id)?.textContent ?? '';
        return {
          parts: parts.map((part) => ({
            part,
            run: num(`compute.split.${part}`, 'data-run'),
            vanilla: num(`compute.split.${part}`, 'data-vanilla'),
          })),
          total: {
            run: num('compute.split.total', 'data-run'),
            vanilla: num('compute.split.total', 'data-vanilla'),
          },
          charged: { flops: num('compute.charged', 'data-flops'), text: text('compute.charged') },
          vanilla: { flops: num('compute.vanilla', 'data-flops'), text: text('compute.vanilla') },
        };
      },
      [...FLOP_PARTS],
    );
  }

  /**
   * The split sums to the totals shown: per part for the run and vanilla, the total row, and
   * the charged and vanilla FLOPs above it (their numbers and their text). Vanilla evaluates no
   * mNTK. Returns what was read.
   */
  async expectComputeSplitSums(): Promise<ComputeSplitShown> {
    await expect
      .poll(async () => (await this.computeSplit()).total.run, {
        message: 'compute.split shows charged FLOPs',
        timeout: 30_000,
      })
      .toBeGreaterThan(0);
    // One read: the split and the totals are rendered from the same metrics push.
    const s = await this.computeSplit();
    const sum = (k: 'run' | 'vanilla') => s.parts.reduce((a, p) => a + p[k], 0);
    expect(s.parts.every((p) => Number.isFinite(p.run) && Number.isFinite(p.vanilla))).toBe(true);
    expect(sum('run'), 'the run’s parts sum to its total row').toBe(s.total.run);
    expect(sum('vanilla'), 'vanilla’s parts sum to its total row').toBe(s.total.vanilla);
    expect(s.total.run, 'the total row is the charged FLOPs shown').toBe(s.charged.flops);
    expect(s.total.vanilla, 'and vanilla’s the vanilla FLOPs shown').toBe(s.vanilla.flops);
    expect(s.charged.text.trim()).toBe(formatFlops(sum('run')));
    expect(s.vanilla.text.trim()).toBe(formatFlops(sum('vanilla')));
    expect(s.parts.find((p) => p.part === 'kernel')?.vanilla, 'vanilla pays no mNTK').toBe(0);
    return s;
  }
}

/** The compute counter's split and totals as the page shows them (`LabPage.computeSplit`). */
export interface ComputeSplitShown {
  parts: { part: string; run: number; vanilla: number }[];
  total: { run: number; vanilla: number };
  charged: { flops: number; text: string };
  vanilla: { flops: number; text: string };
}

/** What a chart container has drawn, read from its canvases and SVG. */
export interface ChartInk {
  canvases: number;
  /** Distinct colours over its canvases (sampled through a 2D copy, so any context type works). */
  colours: number;
  /** A cheap hash of the canvases' pixels, to tell whether the picture changed. */
  digest: number;
  /**
   * SVG paths or polylines at least 40 px long in some direction: data lines. Axis and grid
   * `<line>`s and legend icons are left out, they are drawn before and without data.
   */
  svgMarks: number;
}

export async function chartInk(chart: Locator): Promise<ChartInk> {
  return chart.evaluate((root) => {
    const canvases = [...root.querySelectorAll('canvas')];
    if (root instanceof HTMLCanvasElement) canvases.push(root);
    const colours = new Set<number>();
    let digest = 0;
    for (const c of canvases) {
      if (c.width === 0 || c.height === 0) continue;
      const copy = document.createElement('canvas');
      copy.width = c.width;
      copy.height = c.height;
      const ctx = copy.getContext('2d')!;
      ctx.drawImage(c, 0, 0);
      const data = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let i = 0; i < data.length; i += 4) {
        const px =
          ((data[i]! << 24) | (data[i + 1]! << 16) | (data[i + 2]! << 8) | data[i + 3]!) >>> 0;
        colours.add(px);
        digest = (Math.imul(digest, 31) + px) | 0;
      }
      digest = (Math.imul(digest, 31) + c.width * 65_537 + c.height) | 0;
    }
    let svgMarks = 0;
    for (const el of root.querySelectorAll('svg path, svg polyline')) {
      const box = (el as SVGGraphicsElement).getBBox();
      if (Math.max(box.width, box.height) >= 40) svgMarks++;
    }
    return { canvases: canvases.length, colours: colours.size, digest, svgMarks };
  });
}

/**
 * The chart has drawn data: a data line in its SVG, or canvases that are not blank (more than
 * one colour) and, when `blank` (the chart's ink before any data) is given, differ from it.
 */
export async function expectChartDrawn(
  chart: Locator,
  what: string,
  blank?: ChartInk,
): Promise<void> {
  await expect(chart, `${what} is visible`).toBeVisible();
  await expect
    .poll(
      async () => {
        const ink = await chartInk(chart);
        if (ink.svgMarks > 0) return true;
        if (ink.colours <= 1) return false;
        return blank === undefined || ink.digest !== blank.digest;
      },
      { message: `${what} has drawn data`, timeout: 30_000 },
    )
    .toBe(true);
}

export function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(a), Math.abs(b), 1e-30);
}
