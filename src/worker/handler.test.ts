import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { Session } from '../core/session';
import type { ExperimentConfig } from '../core/config';
import { DataError } from '../core/data/corpus';
import { splitTotal } from '../core/flops';
import { validateRunFile } from '../core/runfile';
import { loadFashionFromDisk, nodeDeps } from '../node/deps';
import type { FromWorker } from '../protocol/messages';
import { PROTOCOL_VERSION } from '../protocol/messages';
import { createHandler } from './handler';
import { BLOWS_UP_MLP, TINY_BERT_CPU } from '../core/testing/session';

const tiny = TINY_BERT_CPU;

/** A handler wired to a fake postMessage that records every message. */
function harness(deps = nodeDeps) {
  const msgs: FromWorker[] = [];
  const handle = createHandler((m) => msgs.push(m), deps);
  const of = <T extends FromWorker['type']>(t: T) =>
    msgs.filter((m): m is Extract<FromWorker, { type: T }> => m.type === t);
  const until = async (pred: () => boolean, ms = 60_000) => {
    const t0 = Date.now();
    while (!pred()) {
      if (Date.now() - t0 > ms) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  return { msgs, handle, of, until };
}

describe('worker protocol handler', () => {
  it('initialises, steps, reports evaluations and validation, and exports a valid run', async () => {
    const h = harness();
    await h.handle({ type: 'init', version: PROTOCOL_VERSION, config: tiny });
    const ready = h.of('ready')[0]!;
    expect(ready.backend.backend).toBe('cpu');
    expect(ready.modules.map((m) => m.id)).toEqual(['L0.H0', 'L0.H1']);
    expect(ready.probeOutputs).toEqual({ k: 64, projections: 2, exact: false });
    await h.handle({ type: 'step', count: 5 });
    await h.until(() => h.of('status').some((s) => !s.running && s.step === 5));
    const steps = h.of('metrics').flatMap((m) => Array.from(m.batch.steps));
    expect(steps).toEqual([1, 2, 3, 4, 5]);
    expect(h.of('evaluation').map((e) => e.evaluation.step)).toEqual([0, 2, 4]);
    expect(h.of('validation').map((v) => v.step)).toEqual([4]);
    const flops = h.of('metrics').flatMap((m) => Array.from(m.batch.flops));
    expect(flops.every((f, i) => i === 0 || f > flops[i - 1]!)).toBe(true);
    // Each push carries the FLOPs by part at its last step; the totals are their sums.
    for (const { batch: b } of h.of('metrics')) {
      const last = b.steps.length - 1;
      expect(b.split?.step).toBe(b.steps[last]);
      expect(b.flops[last]).toBe(splitTotal(b.split!.run));
      expect(b.vanillaFlops[last]).toBe(splitTotal(b.split!.vanilla));
    }
    const split = h.of('metrics').at(-1)!.batch.split!;
    expect(split.run.kernel).toBe(3 * ready.flopsPerEvaluation);
    expect(split.vanilla.kernel).toBe(0);
    await h.handle({ type: 'export', requestId: 7 });
    const run = validateRunFile(JSON.parse(JSON.stringify(h.of('exported')[0]!.run)));
    expect(run.step).toBe(5);
    expect(run.evaluations).toHaveLength(3);
    expect(run.weights.find((w) => w.name === 'L0.H1.qkv')?.shape).toEqual([9, 12]);
  });

  it('answers every init, also one the next init replaces before it is ready', async () => {
    const h = harness();
    // A preset picked while the first run is still loading: two inits back to back.
    const first = h.handle({ type: 'init', version: PROTOCOL_VERSION, config: tiny });
    const second = h.handle({
      type: 'init',
      version: PROTOCOL_VERSION,
      config: { ...tiny, heads: 4, dModel: 16 },
    });
    await Promise.all([first, second]);
    const ready = h.of('ready');
    expect(ready.map((r) => r.modules.length)).toEqual([2, 4]);
    await h.handle({ type: 'step', count: 1 });
    await h.until(() => h.of('status').some((st) => !st.running && st.step === 1));
  });

  it('logs a paused slider change at once with old and new values', async () => {
    const h = harness();
    await h.handle({ type: 'init', version: PROTOCOL_VERSION, config: tiny });
    await h.handle({ type: 'step', count: 3 });
    await h.until(() => h.of('status').some((s) => !s.running && s.step === 3));
    await h.handle({ type: 'setParam', name: 'alpha', value: 2 });
    expect(h.of('event')).toEqual([
      { type: 'event', event: { step: 3, name: 'alpha', from: 0.9, to: 2 } },
    ]);
    // The decision is re-taken at once at the paused step: with two heads and ref = mean, a
    // head stays active only if λ ≥ 2·mean = λ₀ + λ₁, i.e. only if the other head's λ ≤ 0, so
    // (both λ > 0) the modular rule freezes both.
    const d = h.of('decisions').at(-1)!;
    expect(d.step).toBe(3);
    expect(Array.from(d.updating)).toEqual([0, 0]);
    expect(d.reasons).toEqual(['frozen-alpha', 'frozen-alpha']);
  });

  it('play then pause stops the loop', async () => {
    const h = harness();
    await h.handle({ type: 'init', version: PROTOCOL_VERSION, config: tiny });
    await h.handle({ type: 'play' });
    await h.until(() => h.of('metrics').length > 0);
    await h.handle({ type: 'pause' });
    const at = h.of('status').at(-1)!;
    expect(at.running).toBe(false);
    // The answer says where the pause was received: the loop took at most the step in progress.
    expect(at.pauseReceivedAt).toBeDefined();
    expect(at.step - at.pauseReceivedAt!).toBeGreaterThanOrEqual(0);
    expect(at.step - at.pauseReceivedAt!).toBeLessThanOrEqual(1);
    expect(h.of('status').filter((s) => s.pauseReceivedAt !== undefined)).toHaveLength(1);
    const n = h.msgs.length;
    await new Promise((r) => setTimeout(r, 100));
    expect(h.msgs.length).toBe(n);
  });

  it('reads a pause queued after a step before it starts the next one', async () => {
    // The pause is queued as a task the moment a step's status is posted, as a message from the
    // page arriving then would be: a loop that took several steps per task (without yielding to
    // messages between them) would receive it late.
    const msgs: FromWorker[] = [];
    let handle: ReturnType<typeof createHandler> | null = null;
    let paused: Promise<void> | null = null;
    let at = -1;
    handle = createHandler((m) => {
      msgs.push(m);
      // (Statuses come at most every 8 ms: the first one from step 2 on.)
      if (m.type === 'status' && m.running && m.step >= 2 && !paused) {
        at = m.step;
        paused = new Promise((r) => setTimeout(() => void handle!({ type: 'pause' }).then(r), 0));
      }
    }, nodeDeps);
    await handle({ type: 'init', version: PROTOCOL_VERSION, config: tiny });
    await handle({ type: 'play' });
    const t0 = Date.now();
    while (!paused) {
      if (Date.now() - t0 > 60_000) throw new Error('timed out');
      await new Promise((r) => setTimeout(r, 5));
    }
    await paused;
    const answer = msgs.filter((m) => m.type === 'status').at(-1)!;
    expect(answer).toMatchObject({ running: false, step: at, pauseReceivedAt: at });
  });

  it('stops by itself at stopAt', async () => {
    const h = harness();
    await h.handle({ type: 'init', version: PROTOCOL_VERSION, config: { ...tiny, stopAt: 4 } });
    await h.handle({ type: 'play' });
    await h.until(() => h.of('status').some((s) => !s.running && s.step === 4));
    // Nothing trains past stopAt: give a runaway loop time to show itself.
    await new Promise((r) => setTimeout(r, 200));
    expect(h.of('metrics').flatMap((m) => Array.from(m.batch.steps))).toEqual([1, 2, 3, 4]);
    expect(h.of('status').every((s) => s.step <= 4)).toBe(true);
    expect(h.of('status').at(-1)).toMatchObject({ running: false, step: 4 });
  });

  it('pauses at stopAt once: Play from there trains on', async () => {
    const h = harness();
    await h.handle({ type: 'init', version: PROTOCOL_VERSION, config: { ...tiny, stopAt: 3 } });
    await h.handle({ type: 'play' });
    await h.until(() => h.of('status').some((s) => !s.running && s.step === 3));
    await h.handle({ type: 'play' });
    const steps = () => h.of('metrics').flatMap((m) => Array.from(m.batch.steps));
    await h.until(() => steps().includes(8), 30_000);
    await h.handle({ type: 'pause' });
    expect(steps().slice(0, 8)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(h.of('status').at(-1)?.running).toBe(false);
  });

  it('logs a manual override as an event at the step it took effect', async () => {
    const h = harness();
    await h.handle({ type: 'init', version: PROTOCOL_VERSION, config: tiny });
    await h.handle({ type: 'step', count: 3 });
    await h.until(() => h.of('status').some((s) => !s.running && s.step === 3));
    await h.handle({ type: 'override', id: 'L0.H1', mode: 'off' });
    await h.handle({ type: 'override', id: 'L0.H1', mode: 'off' });
    expect(h.of('event')).toEqual([
      {
        type: 'event',
        event: { step: 3, name: 'override', module: 'L0.H1', from: 'auto', to: 'off' },
      },
    ]);
    expect(h.of('decisions').at(-1)?.reasons[1]).toBe('forced-off');
    await h.handle({ type: 'export', requestId: 1 });
    const run = validateRunFile(JSON.parse(JSON.stringify(h.of('exported')[0]!.run)));
    expect(run.config.events).toEqual([
      { step: 3, name: 'override', module: 'L0.H1', mode: 'off' },
    ]);
    expect(run.events).toEqual([
      { step: 3, name: 'override', module: 'L0.H1', from: 'auto', to: 'off' },
    ]);
  });

  it('reports unreadable data as a data error, and a bad protocol version as a config error', async () => {
    const h = harness({
      ...nodeDeps,
      loadCorpus: async () => {
        throw new DataError('vocab.json answered 404 Not Found');
      },
    });
    await h.handle({ type: 'init', version: PROTOCOL_VERSION, config: tiny });
    expect(h.of('error')[0]).toMatchObject({ code: 'data', fatal: true });
    expect(h.of('error')[0]!.message).toContain('404');
    await h.handle({ type: 'init', version: 99, config: tiny });
    expect(h.of('error')[1]).toMatchObject({ code: 'config' });
  });

  it('loads Fashion-MNIST for the VGG, forwarding download progress (throttled, last one kept) before ready', async () => {
    const h = harness({
      ...nodeDeps,
      loadFashion: async (config, progress) => {
        // A download in 50 synchronous chunks: the handler passes the first and the full one.
        for (let i = 0; i <= 50; i++) progress({ what: 'test set', loaded: i * 10, total: 500 });
        return loadFashionFromDisk(config.images);
      },
    });
    const vgg: ExperimentConfig = {
      ...tiny,
      model: 'vgg',
      data: 'fashion',
      channels: '4',
      groupSize: 2,
      images: 100,
      valBatches: 1,
    };
    await h.handle({ type: 'init', version: PROTOCOL_VERSION, config: vgg });
    const loads = h.of('loading').map((m) => m.progress.loaded);
    expect(loads).toEqual([0, 500]);
    const iReady = h.msgs.findIndex((m) => m.type === 'ready');
    expect(h.msgs.findLastIndex((m) => m.type === 'loading')).toBeLessThan(iReady);
    expect(h.of('ready')[0]!.modules.map((m) => m.id)).toEqual([
      'C0.G0',
      'C0.G1',
      'C1.G0',
      'C1.G1',
    ]);
    expect(h.of('ready')[0]!.metric).toEqual({ name: 'accuracy', higherIsBetter: true });
    expect(h.of('view')[0]!.view.kind).toBe('confusion');
  });

  it('says clearly when WebGPU is forced but there is none', async () => {
    const h = harness();
    await h.handle({
      type: 'init',
      version: PROTOCOL_VERSION,
      config: { ...tiny, backend: 'webgpu' },
    });
    expect(h.of('error')[0]).toMatchObject({ code: 'no-webgpu', fatal: true });
    expect(h.of('ready')).toHaveLength(0);
  });
});

describe('failure handling', () => {
  it('pauses with a clear message when the loss becomes NaN', async () => {
    class NanAt3 extends Session {
      override async advance() {
        const r = await super.advance();
        if (r.step === 3) {
          r.loss.dispose();
          return { ...r, loss: tf.scalar(NaN) };
        }
        return r;
      }
    }
    const h = harness({ ...nodeDeps, createSession: (c, k) => new NanAt3(c, k) });
    await h.handle({ type: 'init', version: PROTOCOL_VERSION, config: tiny });
    await h.handle({ type: 'play' });
    await h.until(() => h.of('error').length > 0);
    const err = h.of('error')[0]!;
    expect(err.code).toBe('nan-loss');
    expect(err.message).toContain('step 3');
    await h.until(() => h.of('status').some((s) => !s.running));
    // Nothing is lost: the metrics up to the bad step were delivered, and the run can be exported.
    expect(h.of('metrics').flatMap((m) => Array.from(m.batch.steps))).toContain(3);
    await h.handle({ type: 'export', requestId: 1 });
    expect(h.of('exported')).toHaveLength(1);
  });
});

describe('the divergence guard', () => {
  /** A session whose weights all become NaN after step `at` (a real NaN, not a faked loss). */
  const nanAfter = (at: number) =>
    class extends Session {
      override async advance() {
        const r = await super.advance();
        if (r.step === at) {
          for (const v of this.model.allVariables()) tf.tidy(() => v.assign(tf.fill(v.shape, NaN)));
        }
        return r;
      }
    };

  it.each([
    // After step 5 the next step's loss is NaN (step 6): found before the evaluation at 6.
    [5, 'step 6', [0, 2, 4]],
    // After step 4 the evaluation at 4 is due at once: its kernels are NaN, so it never runs.
    [4, 'step 4', [0, 2]],
  ])(
    'pauses (not fatal) when the weights become NaN after step %i, at %s, before any evaluation of them',
    async (at, where, evaluated) => {
      const Nan = nanAfter(at);
      const h = harness({ ...nodeDeps, createSession: (c, k) => new Nan(c, k) });
      await h.handle({ type: 'init', version: PROTOCOL_VERSION, config: tiny });
      await h.handle({ type: 'play' });
      await h.until(() => h.of('error').length > 0);
      await h.until(() => h.of('status').some((st) => !st.running));
      const errors = h.of('error');
      expect(errors).toHaveLength(1);
      expect(errors[0]).toMatchObject({ code: 'nan-loss', fatal: false });
      expect(errors[0]!.message).toContain(where);
      expect(h.of('evaluation').map((e) => e.evaluation.step)).toEqual(evaluated);
      for (const e of h.of('evaluation'))
        expect(Array.from(e.evaluation.lambdaMax).every(Number.isFinite)).toBe(true);
      // Export stays enabled, and its file (NaN weights written as null) imports.
      await h.handle({ type: 'export', requestId: 1 });
      const run = validateRunFile(JSON.parse(JSON.stringify(h.of('exported')[0]!.run)));
      expect(run.weights[0]!.values[0]).toBeNull();
      expect(h.of('error')).toHaveLength(1);
    },
  );

  it('pauses an MLP that lr = 1 blows up, with the step and the rule in the message', async () => {
    const h = harness();
    const config: ExperimentConfig = { ...BLOWS_UP_MLP, K: 5, valEvery: 1000 };
    await h.handle({ type: 'init', version: PROTOCOL_VERSION, config });
    await h.handle({ type: 'play' });
    await h.until(() => h.of('error').length > 0);
    await h.until(() => h.of('status').some((st) => !st.running));
    const err = h.of('error')[0]!;
    expect(err).toMatchObject({ code: 'nan-loss', fatal: false });
    const step = Number(/at step (\d+)/.exec(err.message)?.[1]);
    expect(err.message).toContain('10 × its lowest');
    // No evaluation ran on the weights after the blown-up step.
    expect(h.of('evaluation').every((e) => e.evaluation.step < step)).toBe(true);
    await h.handle({ type: 'export', requestId: 1 });
    expect(h.of('exported')).toHaveLength(1);
  });
});

describe('export while training', () => {
  it('answers an export sent right after pause, and one sent mid-run', async () => {
    const h = harness();
    await h.handle({ type: 'init', version: PROTOCOL_VERSION, config: tiny });
    await h.handle({ type: 'play' });
    await h.until(() => h.of('metrics').length > 0);
    await h.handle({ type: 'export', requestId: 1 });
    const pause = h.handle({ type: 'pause' });
    const exp = h.handle({ type: 'export', requestId: 2 });
    await Promise.all([pause, exp]);
    expect(h.of('exported').map((e) => e.requestId)).toEqual([1, 2]);
    expect(h.of('error')).toHaveLength(0);
    for (const e of h.of('exported')) validateRunFile(JSON.parse(JSON.stringify(e.run)));
  });
});
