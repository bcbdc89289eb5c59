import { beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../core/config';
import type { ExperimentConfig } from '../core/config';
import { zeroSplit } from '../core/flops';
import type { RunFile } from '../core/runfile';
import { parseExperimentParams } from '../core/url';
import {
  applySettings,
  backToLive,
  bootLab,
  configureMessageCommit,
  exportRun,
  flushMessages,
  importRunText,
  measureKey,
  play,
  reset,
  setLiveParam,
} from './actions';
import { appendColumn } from './evaluations-slice';
import { shownParam } from './run-slice';
import { initialLinkState } from './link-slice';
import {
  computeSplit,
  computeSummary,
  hookHistory,
  hookModules,
  hookStatus,
  moduleLabel,
} from './selectors';
import { resetStore, useLabStore } from './store';
import { evaluationMsg, FakeTrainer, metricsMsg, MODULES, readyMsg } from './testing';
import { mergeEvents, shareableConfig, shareableSearch, splitPageParams } from './url-state';

const get = useLabStore.getState;

function boot(search = ''): FakeTrainer {
  const t = new FakeTrainer();
  bootLab(search, () => t);
  return t;
}

beforeEach(() => resetStore());

describe('booting from a URL', () => {
  it('initialises the trainer with the parsed config and reports bad fields', () => {
    const t = boot('?alpha=abc&layers=3&worker=0');
    expect(t.inits).toHaveLength(1);
    expect(t.inits[0]?.layers).toBe(3);
    expect(t.inits[0]?.alpha).toBe(DEFAULT_CONFIG.alpha);
    const errors = get().errors;
    expect(errors.map((e) => e.source)).toEqual(['url']);
    expect(errors[0]?.message).toContain('alpha');
    expect(get().passThrough).toEqual([['worker', '0']]);
    expect(get().phase).toBe('starting');
    expect(hookStatus(get()).backend).toBeNull();
  });

  it('plays once ready when the link says autoplay', () => {
    const t = boot('?autoplay=1');
    expect(t.calls).toEqual(['init']);
    t.emit(readyMsg(t.inits[0]!));
    expect(t.calls).toEqual(['init', 'play']);
    expect(get().phase).toBe('ready');
    expect(hookStatus(get())).toMatchObject({
      backend: 'webgpu',
      adapter: 'test · gpu',
      step: 0,
      model: 'bert',
      policy: 'mat',
    });
  });
});

describe('routing trainer messages', () => {
  it('shows data-download progress while starting and drops it at ready', () => {
    const t = boot('?model=vgg&data=fashion&images=6000');
    const progress = { what: 'Fashion-MNIST, full set (70,000 images)', loaded: 1000, total: 4000 };
    // Sent while `init` is unanswered: kept (it is the starting run's), unlike run data.
    t.emit({ type: 'loading', progress });
    t.emit(metricsMsg(1, [5]));
    flushMessages();
    expect(get().loading).toEqual(progress);
    expect(get().metrics.length).toBe(0);
    t.emit(readyMsg(t.inits[0]!));
    flushMessages();
    expect(get().loading).toBeNull();
    // Late progress after ready changes nothing.
    t.emit({ type: 'loading', progress });
    flushMessages();
    expect(get().loading).toBeNull();
  });

  it('fills metrics, evaluations, decisions and events', () => {
    const t = boot();
    const cfg = t.inits[0]!;
    t.emit(readyMsg(cfg));
    t.emit(evaluationMsg(0, [2, 1], [true, true]));
    t.emit(metricsMsg(1, [5, 4, 3]));
    t.emit({ type: 'validation', step: 3, perplexity: 90 });
    t.emit({ type: 'status', running: true, step: 3 });
    expect(get().step).toBe(3);
    expect(get().running).toBe(true);
    expect(get().metrics.length).toBe(3);
    expect(get().validation.perplexity).toEqual([90]);
    expect(hookModules(get())).toEqual([
      { id: 'L0.H0', kind: 'head', lambdaMax: 2, updating: true },
      { id: 'L0.H1', kind: 'head', lambdaMax: 1, updating: true },
    ]);

    // A decision change while paused amends the latest column.
    t.emit({
      type: 'decisions',
      step: 3,
      updating: Uint8Array.of(1, 0),
      reasons: ['active', 'forced-off'],
    });
    expect(get().evaluations[0]?.amendedAt).toBe(3);
    expect(hookModules(get())[1]?.updating).toBe(false);

    t.emit({ type: 'event', event: { step: 10, name: 'alpha', from: 0.9, to: 1.2 } });
    expect(get().live.alpha).toBe(1.2);
    expect(hookHistory(get()).events).toEqual([{ step: 10, name: 'alpha', from: 0.9, to: 1.2 }]);
    expect(hookHistory(get()).evaluations[0]).toEqual({
      step: 0,
      lambdaMax: { 'L0.H0': 2, 'L0.H1': 1 },
      updating: { 'L0.H0': true, 'L0.H1': false },
    });
  });

  it('drops messages of the previous run while a reset is pending', () => {
    const t = boot();
    t.emit(readyMsg(t.inits[0]!));
    t.emit(metricsMsg(1, [5]));
    reset();
    expect(get().metrics.length).toBe(0);
    t.emit(metricsMsg(2, [4])); // posted by the old run before it saw `init`
    t.emit(evaluationMsg(2, [1, 1], [true, true]));
    expect(get().metrics.length).toBe(0);
    expect(get().evaluations).toHaveLength(0);
    t.emit(readyMsg(t.inits[1]!));
    t.emit(metricsMsg(1, [6]));
    expect(get().metrics.length).toBe(1);
    expect(get().step).toBe(1);
  });

  it('stops on a fatal error and shows it; reset clears it', () => {
    const t = boot();
    t.emit(readyMsg(t.inits[0]!));
    t.emit({ type: 'status', running: true, step: 5 });
    t.emit({
      type: 'error',
      code: 'device-lost',
      message: 'The GPU device was lost.',
      fatal: true,
    });
    expect(get().phase).toBe('failed');
    expect(get().running).toBe(false);
    expect(get().errors[0]).toMatchObject({ source: 'trainer', code: 'device-lost', fatal: true });
    t.emit({
      type: 'error',
      code: 'device-lost',
      message: 'The GPU device was lost.',
      fatal: true,
    });
    expect(get().errors).toHaveLength(1);
    expect(get().errors[0]?.count).toBe(2);
    play();
    reset();
    expect(get().errors).toEqual([]);
    expect(t.inits).toHaveLength(2);
  });
});

describe('buffered commits', () => {
  it('reduces many messages into one store update', () => {
    configureMessageCommit(10_000);
    try {
      const t = boot();
      t.emit(readyMsg(t.inits[0]!));
      let updates = 0;
      const unsub = useLabStore.subscribe(() => updates++);
      for (let i = 0; i < 200; i++) {
        t.emit(evaluationMsg(i * 2, [2, 1], [true, false]));
        t.emit(metricsMsg(i * 2 + 1, [5, 4]));
      }
      expect(get().evaluations).toHaveLength(0);
      flushMessages();
      expect(updates).toBe(1);
      expect(get().evaluations).toHaveLength(200);
      expect(get().metrics.length).toBe(400);
      expect(get().step).toBe(400);
      t.emit(metricsMsg(401, [3]));
      reset();
      flushMessages();
      expect(get().metrics.length).toBe(0);
      unsub();
    } finally {
      configureMessageCommit(0);
    }
  });
});

describe('controls', () => {
  it('sends slider values to the trainer and restarts from the settings on reset', () => {
    const t = boot();
    t.emit(readyMsg(t.inits[0]!));
    setLiveParam('alpha', 1.5);
    expect(t.params).toEqual([['alpha', 1.5]]);
    expect(get().settings.alpha).toBe(1.5);
    expect(get().live.alpha).toBe(DEFAULT_CONFIG.alpha);
    reset();
    expect(t.inits[1]).toMatchObject({ alpha: 1.5, events: [] });
    applySettings({ policy: 'random', K: 5 });
    expect(t.inits[2]).toMatchObject({ policy: 'random', K: 5, alpha: 1.5 });
  });

  it('a slider move while paused shows at once, takes effect at the paused step and is logged from → to', () => {
    const t = boot();
    t.emit(readyMsg(t.inits[0]!));
    t.emit(metricsMsg(1, [5, 4, 3]));
    t.emit({ type: 'status', running: false, step: 3 });
    setLiveParam('alpha', 2);
    // The slider shows the new value and the trainer has it; it is not in force until the trainer says so.
    expect(get().settings.alpha).toBe(2);
    expect(t.params).toEqual([['alpha', 2]]);
    expect(get().live.alpha).toBe(DEFAULT_CONFIG.alpha);
    expect(get().events).toEqual([]);
    // Paused, the trainer applies it at once and logs it at the step it is paused at.
    t.emit({ type: 'event', event: { step: 3, name: 'alpha', from: DEFAULT_CONFIG.alpha, to: 2 } });
    expect(get().live).toEqual({ alpha: 2, beta: DEFAULT_CONFIG.beta });
    expect(get().events).toEqual([{ step: 3, name: 'alpha', from: DEFAULT_CONFIG.alpha, to: 2 }]);
    expect(get().settings.alpha).toBe(2);
    expect(get().step).toBe(3);
    // The shareable link replays it at that same step.
    expect(shareableConfig(get().runConfig, get().events).events).toEqual([
      { step: 3, name: 'alpha', value: 2 },
    ]);
  });

  it('shows the values in force after replayed link events, and a pending value only while pending', () => {
    const t = boot('?events=90:alpha:1.8,110:beta:0.12&stopAt=120&autoplay=1');
    t.emit(readyMsg(t.inits[0]!));
    t.emit({ type: 'event', event: { step: 90, name: 'alpha', from: 0.9, to: 1.8 } });
    t.emit({ type: 'event', event: { step: 110, name: 'beta', from: 0.02, to: 0.12 } });
    t.emit({ type: 'status', running: false, step: 120 });
    // The sliders show what is in force; nothing is pending.
    expect(shownParam(get(), 'alpha')).toBe(1.8);
    expect(shownParam(get(), 'beta')).toBe(0.12);
    expect(get().pendingParams).toEqual({});
    // A move while running is pending until the trainer logs it.
    t.emit({ type: 'status', running: true, step: 121 });
    setLiveParam('alpha', 1.2);
    expect(get().pendingParams).toEqual({ alpha: 1.2 });
    expect(shownParam(get(), 'alpha')).toBe(1.2);
    expect(get().live.alpha).toBe(1.8);
    t.emit({ type: 'event', event: { step: 130, name: 'alpha', from: 1.8, to: 1.2 } });
    expect(get().pendingParams).toEqual({});
    expect(shownParam(get(), 'alpha')).toBe(1.2);
    // Back to the value in force: nothing pending (the trainer logs no change then).
    setLiveParam('beta', 0.3);
    setLiveParam('beta', 0.12);
    expect(get().pendingParams).toEqual({});
    // Reset starts from what the sliders show.
    reset();
    expect(t.inits.at(-1)).toMatchObject({ alpha: 1.2, beta: 0.12, events: [] });
  });

  it('shows the step counter at once while other run data waits for the commit', () => {
    configureMessageCommit(10_000);
    try {
      const t = boot();
      t.emit(readyMsg(t.inits[0]!));
      flushMessages();
      t.emit(metricsMsg(1, [5, 4, 3]));
      t.emit({ type: 'status', running: true, step: 7 });
      expect(get().step).toBe(7);
      expect(get().running).toBe(true);
      // The metrics are still buffered; committing them keeps the newer step.
      expect(get().metrics.length).toBe(0);
      flushMessages();
      expect(get().metrics.length).toBe(3);
      expect(get().step).toBe(7);
    } finally {
      configureMessageCommit(0);
    }
  });

  it('keeps the trainer’s answer to a Pause until it trains again', () => {
    const t = boot();
    t.emit(readyMsg(t.inits[0]!));
    t.emit({ type: 'status', running: true, step: 9 });
    flushMessages();
    expect(hookStatus(get()).lastPause).toBeNull();
    // The loop's own status as it stops, then the answer to the pause.
    t.emit({ type: 'status', running: false, step: 12 });
    t.emit({ type: 'status', running: false, step: 12, pauseReceivedAt: 11 });
    flushMessages();
    expect(hookStatus(get())).toMatchObject({ step: 12, lastPause: { received: 11, stopped: 12 } });
    // A status without the field (a step request's end) keeps it; Play clears it.
    t.emit({ type: 'status', running: false, step: 12 });
    flushMessages();
    expect(get().lastPause).toEqual({ received: 11, stopped: 12 });
    t.emit({ type: 'status', running: true, step: 13 });
    flushMessages();
    expect(get().lastPause).toBeNull();
  });

  it('puts manual overrides into the link, and a clear too', () => {
    const t = boot('?model=mlp');
    t.emit(readyMsg(t.inits[0]!));
    t.emit({
      type: 'event',
      event: { step: 60, name: 'override', module: 'L0.N2', from: 'auto', to: 'off' },
    });
    t.emit({
      type: 'event',
      event: { step: 75, name: 'override', module: 'L0.N2', from: 'off', to: 'auto' },
    });
    const search = shareableSearch(shareableConfig(get().runConfig, get().events), []);
    expect(new URLSearchParams(search).get('events')).toBe('60:L0.N2:off,75:L0.N2:auto');
    expect(parseExperimentParams(new URLSearchParams(search).entries()).config.events).toEqual([
      { step: 60, name: 'override', module: 'L0.N2', mode: 'off' },
      { step: 75, name: 'override', module: 'L0.N2', mode: 'auto' },
    ]);
    // The sliders are not touched by overrides.
    expect(get().live).toEqual({ alpha: DEFAULT_CONFIG.alpha, beta: DEFAULT_CONFIG.beta });
  });

  it('rejects an export the trainer never answers', async () => {
    boot();
    await expect(exportRun(10)).rejects.toThrow('did not answer');
  });
});

function runFile(): RunFile {
  return {
    format: 'mat-lab-run',
    version: 1,
    createdAt: '2025-01-01T00:00:00.000Z',
    // One layer of two heads (MODULES), d = 8: the modules and weights the import checks expect.
    config: {
      ...DEFAULT_CONFIG,
      layers: 1,
      heads: 2,
      dModel: 8,
      seed: 5,
      events: [{ step: 10, name: 'alpha', value: 1.5 }],
    },
    backend: { backend: 'wasm', adapter: '', isFallbackAdapter: false },
    modules: MODULES,
    events: [{ step: 10, name: 'alpha', from: 0.9, to: 1.5 }],
    metrics: { step: [1, 2], loss: [5, 4], flops: [80, 160], vanillaFlops: [100, 200] },
    validation: { step: [2], perplexity: [70] },
    metric: { name: 'perplexity', higherIsBetter: false },
    flops: { perVanillaStep: 100, perEvaluation: 30 },
    probeOutputs: { k: 10000, projections: 4, exact: false },
    evaluations: [
      {
        step: 0,
        lambdaMax: [2, 1],
        spectra: [
          [2, 1],
          [1, 0.5],
        ],
        effRank: [1.9, 1.9],
        updating: [true, false],
        reasons: ['active', 'frozen-alpha'],
      },
    ],
    probe: {
      inputs: [1],
      positions: [0],
      targets: [1],
      n: 2,
      seqLen: 4,
      masked: 1,
      projections: [1],
      numProjections: 1,
      weight: 1,
      kernel: 'trace',
    },
    weights: MODULES.flatMap((m) => [
      { name: `${m.id}.qkv`, shape: [9, 12], values: new Array<number>(9 * 12).fill(0) },
      { name: `${m.id}.o`, shape: [4, 8], values: new Array<number>(4 * 8).fill(0) },
    ]),
    step: 2,
  };
}

describe('importing a run file', () => {
  it('shows a valid file read-only and goes back to the live run', () => {
    const t = boot();
    t.emit(readyMsg(t.inits[0]!));
    const split = { step: 3, run: zeroSplit(), vanilla: zeroSplit() };
    t.emit(metricsMsg(1, [9, 9, 9], 0, 0, split));
    expect(importRunText(JSON.stringify(runFile()), 'run.json')).toBe(true);
    expect(t.calls).toContain('pause');
    expect(get().view).toBe('imported');
    expect(get().metrics.length).toBe(2);
    // Run files do not record FLOPs by part.
    expect(computeSplit(get())).toBeNull();
    expect(get().live.alpha).toBe(1.5);
    expect(get().backend?.backend).toBe('wasm');
    expect(hookModules(get()).map((m) => m.updating)).toEqual([true, false]);
    // Live messages keep updating the hidden live run.
    t.emit(metricsMsg(4, [8]));
    expect(get().metrics.length).toBe(2);
    backToLive();
    expect(get().view).toBe('live');
    expect(get().metrics.length).toBe(4);
    expect(computeSplit(get())?.steps).toBe(3);
  });

  it('explains why a file is rejected', () => {
    boot();
    expect(importRunText('not json', 'a.json')).toBe(false);
    expect(get().errors.at(-1)?.message).toContain('not JSON');
    expect(importRunText(JSON.stringify({ format: 'nope' }), 'b.json')).toBe(false);
    const errors = get().errors.filter((e) => e.source === 'import');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.message).toContain('b.json');
    expect(get().view).toBe('live');
  });
});

describe('the shareable link', () => {
  it('merges the run’s events with the logged ones without duplicates', () => {
    const merged = mergeEvents(
      [{ step: 4, name: 'alpha', value: 1.2 }],
      [
        { step: 4, name: 'alpha', from: 0.9, to: 1.2 },
        { step: 2, name: 'beta', from: 0.02, to: 0.05 },
      ],
    );
    expect(merged).toEqual([
      { step: 2, name: 'beta', value: 0.05 },
      { step: 4, name: 'alpha', value: 1.2 },
    ]);
  });

  it('round-trips through the URL codec with page parameters kept', () => {
    const cfg = shareableConfig({ ...DEFAULT_CONFIG, stopAt: 8 }, [
      { step: 6, name: 'alpha', from: 0.9, to: 2 },
    ]);
    const search = shareableSearch(cfg, [['worker', '0']]);
    expect(search).toContain('stopAt=8');
    const { experiment, page } = splitPageParams(new URLSearchParams(search).entries());
    expect(page).toEqual([['worker', '0']]);
    const parsed = parseExperimentParams(experiment);
    expect(parsed.errors).toEqual([]);
    expect(parsed.config).toEqual(cfg);
  });
});

describe('resetting the store', () => {
  it('forgets the trainer, the pending init, autoplay, the stashed live run and the commit interval', () => {
    configureMessageCommit(10_000);
    const t = boot('?autoplay=1');
    expect(importRunText(JSON.stringify(runFile()), 'run.json')).toBe(true);
    expect(get()).toMatchObject({ pendingInits: 1, autoplayOnReady: true, commitMs: 10_000 });
    expect(get().stash).not.toBeNull();
    expect(get().link?.trainer).toBe(t);
    resetStore();
    const { link, makeTrainer, pendingInits, autoplayOnReady, stash, commitMs } = get();
    expect({ link, makeTrainer, pendingInits, autoplayOnReady, stash, commitMs }).toEqual(
      initialLinkState(),
    );
    expect(t.calls.at(-1)).toBe('dispose');
    // The dropped trainer no longer reaches the store, nor does the store reach it.
    t.emit(readyMsg(t.inits[0]!));
    play();
    expect(get()).toEqual(useLabStore.getInitialState());
    expect(t.calls.at(-1)).toBe('dispose');
  });

  it('drops messages buffered before the reset', () => {
    configureMessageCommit(10_000);
    const t = boot();
    t.emit(readyMsg(t.inits[0]!));
    t.emit(metricsMsg(1, [5, 4]));
    expect(get().metrics.length).toBe(0);
    resetStore();
    flushMessages();
    expect(get()).toEqual(useLabStore.getInitialState());
  });
});

describe('measureKey', () => {
  const mlp: ExperimentConfig = { ...DEFAULT_CONFIG, model: 'mlp', data: 'spiral' };
  const vgg: ExperimentConfig = { ...DEFAULT_CONFIG, model: 'vgg', data: 'fashion' };

  it('tells apart runs that do different work in every family', () => {
    expect(measureKey({ ...mlp, hidden: '32,32' }, 'webgpu')).not.toBe(
      measureKey({ ...mlp, hidden: '8,8' }, 'webgpu'),
    );
    expect(measureKey({ ...vgg, channels: '32,64' }, 'webgpu')).not.toBe(
      measureKey({ ...vgg, channels: '16,32' }, 'webgpu'),
    );
    expect(measureKey({ ...vgg, groupSize: 4 }, 'webgpu')).not.toBe(measureKey(vgg, 'webgpu'));
    expect(measureKey({ ...DEFAULT_CONFIG, model: 'switch', experts: 8 }, 'webgpu')).not.toBe(
      measureKey({ ...DEFAULT_CONFIG, model: 'switch', experts: 4 }, 'webgpu'),
    );
    expect(measureKey(mlp, 'webgpu')).not.toBe(measureKey(DEFAULT_CONFIG, 'webgpu'));
    expect(measureKey(DEFAULT_CONFIG, 'wasm')).not.toBe(measureKey(DEFAULT_CONFIG, 'webgpu'));
    expect(measureKey({ ...DEFAULT_CONFIG, policy: 'vanilla' }, 'webgpu')).not.toBe(
      measureKey(DEFAULT_CONFIG, 'webgpu'),
    );
    // Every policy evaluates the mNTK every K steps (vanilla for the heatmap), inside the timed steps.
    expect(measureKey({ ...DEFAULT_CONFIG, K: 5 }, 'webgpu')).not.toBe(
      measureKey(DEFAULT_CONFIG, 'webgpu'),
    );
  });

  it('ignores fields that do not change vanilla’s step time', () => {
    const base = measureKey(mlp, 'webgpu');
    const same: Partial<ExperimentConfig>[] = [
      { alpha: 2, beta: 0.5 },
      { seed: 7, lr: 0.1, noise: 0.3 },
      { warmup: 0, window: 5, ref: 'max', stop: 'sticky', progSpan: 7 },
      { autoplay: true, stopAt: 100, events: [{ step: 4, name: 'alpha', value: 1.2 }] },
      { backend: 'webgpu' },
    ];
    for (const change of same) expect(measureKey({ ...mlp, ...change }, 'webgpu')).toBe(base);
  });
});

describe('selectors', () => {
  it('counts charged FLOPs, the mNTK share and the saving', () => {
    const t = boot();
    t.emit(readyMsg(t.inits[0]!));
    t.emit(evaluationMsg(0, [2, 1], [true, false]));
    t.emit(evaluationMsg(10, [2, 1], [true, false]));
    t.emit(metricsMsg(1, [5, 4, 3]));
    const c = computeSummary(get());
    expect(c).toMatchObject({ steps: 3, charged: 240, vanilla: 300, evaluations: 1, mntk: 50 });
    expect(c.saving).toBeCloseTo(0.2, 10);
  });

  it('splits FLOPs by part at the latest push, summing to the totals shown', () => {
    const t = boot();
    t.emit(readyMsg(t.inits[0]!));
    expect(computeSplit(get())).toBeNull();
    // Three steps at 80 charged (50 of them an evaluation at step 0) and 100 vanilla per step.
    const run = { forward: 90, inputGrad: 60, weightGrad: 30, optimizer: 10, kernel: 50 };
    const vanilla = { forward: 90, inputGrad: 60, weightGrad: 90, optimizer: 60, kernel: 0 };
    t.emit(metricsMsg(1, [5, 4, 3], 80, 100, { step: 3, run, vanilla }));
    const s = computeSplit(get())!;
    const c = computeSummary(get());
    expect(s).toMatchObject({ steps: 3, run: c.charged, vanilla: c.vanilla });
    expect(s.parts.map((p) => p.part)).toEqual([
      'forward',
      'inputGrad',
      'weightGrad',
      'optimizer',
      'kernel',
    ]);
    expect(s.parts[2]).toEqual({
      part: 'weightGrad',
      run: 30,
      vanilla: 90,
      saved: 60,
      saving: 2 / 3,
    });
    expect(s.parts[4]).toMatchObject({ run: 50, vanilla: 0, saved: -50 });
    expect(s.parts[4]!.saving).toBeNaN();
    // A push without a split (none does so live) keeps the last one.
    t.emit(metricsMsg(4, [2], 80, 100));
    expect(computeSplit(get())?.steps).toBe(3);
  });

  it('labels modules as layer·head', () => {
    expect(moduleLabel({ id: 'L2.H3', kind: 'head', layer: 2, index: 3 })).toBe('L2·H3');
  });

  it('drops old spectra to bound memory', () => {
    let list = appendColumn([], { ...col(0) }, 2);
    for (let i = 1; i < 5; i++) list = appendColumn(list, col(i), 2);
    expect(list.map((c) => c.spectra !== null)).toEqual([false, false, false, true, true]);
  });
});

function col(step: number) {
  return {
    step,
    lambdaMax: new Float64Array(1),
    effRank: new Float64Array(1),
    stdErr: null,
    spectra: new Float64Array(2),
    updating: new Uint8Array(1),
    reasons: [],
    ms: null,
    amendedAt: null,
  };
}
