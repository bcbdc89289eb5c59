import * as tf from '@tensorflow/tfjs';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { InThreadTrainer } from '../client/in-thread-trainer';
import type { Trainer } from '../client/trainer';
import { presetConfig } from '../core/presets';
import { nodeDeps } from '../node/deps';
import type { FromWorker } from '../protocol/messages';
import { createHandler } from '../worker/handler';
import { bootLab, flushMessages, pause, play, reset, stepOnce } from './actions';
import { ARM_B_ORIGIN, chooseCompare, flushCompare } from './compare';
import { Lockstep, nextBoundary } from './compare-lockstep';
import type { LockstepView } from './compare-lockstep';
import type { LabState } from './store';
import { resetStore, useLabStore } from './store';

const get = useLabStore.getState;
const K = 10;
/** The classroom MLP on the cpu backend (K = 10): fast and deterministic in Node. */
const CONFIG = { ...presetConfig('mlp-spiral')!, backend: 'cpu' as const, K };

const made: Trainer[] = [];
function trainer(): Trainer {
  const t = new InThreadTrainer((post) => createHandler(post, nodeDeps));
  made.push(t);
  return t;
}

/** Resolves when `pred` holds; rejects after `ms`. */
function until(pred: () => boolean, what: string, ms = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const tick = () => {
      if (pred()) return resolve();
      if (Date.now() - t0 > ms) return reject(new Error(`timed out waiting for ${what}`));
      setTimeout(tick, 5);
    };
    tick();
  });
}

/** Two trainers on the same config, their lockstep, and every step each arm reported. */
function pair(stopAt = 0) {
  const a = trainer();
  const b = trainer();
  const seen: [number, number][] = [];
  const steps: [number, number] = [0, 0];
  let view: LockstepView | null = null;
  const track = (i: 0 | 1) => (msg: FromWorker) => {
    if (msg.type !== 'status') return;
    steps[i] = msg.step;
    seen.push([steps[0], steps[1]]);
  };
  a.subscribe(track(0));
  b.subscribe(track(1));
  const lock = new Lockstep([a, b], {
    chunkEnd: (s) => nextBoundary(s, K),
    stopAt,
    pendingInits: [1, 1],
    onChange: (v) => (view = v),
  });
  const config = { ...CONFIG, stopAt };
  a.init(config);
  b.init({ ...config, policy: 'vanilla' });
  return { lock, seen, view: () => view, steps };
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});
beforeEach(() => resetStore());
afterEach(() => {
  resetStore();
  for (const t of made.splice(0)) t.dispose();
});

describe('the lockstep of two arms (InThreadTrainer, cpu backend)', () => {
  it('brings both arms to the same steps, neither ever more than a chunk ahead; stopAt stops both', async () => {
    const { lock, seen, view } = pair(35);
    lock.play();
    await until(() => view()?.playing === false && view()?.chunks === 4, 'stopAt 35');
    expect(view()!.steps).toEqual([35, 35]);
    // Chunks end at the evaluation boundaries 10, 20, 30 and at stopAt.
    expect(view()!.chunks).toBe(4);
    expect(seen.length).toBeGreaterThan(4);
    for (const [sa, sb] of seen) expect(Math.abs(sa - sb)).toBeLessThanOrEqual(K);
    const v = view()!;
    expect(v.msPerStep[0]).toBeGreaterThan(0);
    expect(v.msPerStep[1]).toBeGreaterThan(0);
    // Play from stopAt trains on (stopAt pauses once), to the next boundary and beyond.
    lock.play();
    await until(() => (view()?.steps[0] ?? 0) >= 50, 'step 50 after stopAt');
    lock.pause();
    await until(() => view()?.target === null, 'the chunk under way to end');
    const [a, b] = view()!.steps;
    expect(a).toBe(b);
    expect(a % K).toBe(0);
    lock.dispose();
  });

  it('with a minimum chunk time, a chunk spans several evaluation intervals (ends on one)', async () => {
    const a = trainer();
    const b = trainer();
    const ends: number[] = [];
    let view: LockstepView | null = null;
    const lock = new Lockstep([a, b], {
      chunkEnd: (s) => nextBoundary(s, K),
      stopAt: 0,
      // Far more than any chunk here takes: after the first chunk (no time measured yet: one
      // interval), every chunk is one interval and 10,000 more, the most one may span.
      minChunkMs: 1e12,
      pendingInits: [1, 1],
      onChange: (v) => {
        if (v.target !== null && v.target !== ends.at(-1)) ends.push(v.target);
        view = v;
      },
    });
    a.init(CONFIG);
    b.init(CONFIG);
    lock.play();
    await until(() => ends.length >= 2, 'the second chunk');
    lock.dispose();
    expect(ends.slice(0, 2)).toEqual([K, K + 10_001 * K]);
    expect(view!.steps[0]).toBeLessThan(K + 10_001 * K);
  });

  it('pauses both at the same step, and steps both by one', async () => {
    const { lock, view } = pair();
    lock.play();
    await until(() => (view()?.chunks ?? 0) >= 2, 'two chunks');
    lock.pause();
    await until(() => view()?.target === null && view()?.playing === false, 'paused');
    const [a, b] = view()!.steps;
    expect(a).toBe(b);
    // Paused at a chunk end: an evaluation boundary.
    expect(a % K).toBe(0);
    // Nothing more happens while paused.
    await new Promise((r) => setTimeout(r, 100));
    expect(view()!.steps).toEqual([a, b]);
    lock.step(1);
    await until(() => view()?.target === null && view()?.steps[1] === a + 1, 'one step');
    expect(view()!.steps).toEqual([a + 1, a + 1]);
    lock.dispose();
  });

  it('does not start before both arms are ready; the first to end a chunk waits', async () => {
    // Arm B answers its init only when the test lets it: arm A must not start alone.
    const a = trainer();
    const b = trainer();
    let release: (() => void) | null = null;
    const gated: Trainer = {
      where: 'in-thread',
      init: (c) => b.init(c),
      play: () => b.play(),
      pause: () => b.pause(),
      step: (n) => b.step(n),
      setParam: (n, v) => b.setParam(n, v),
      override: (id, m) => b.override(id, m),
      exportRun: () => b.exportRun(),
      dispose: () => b.dispose(),
      subscribe: (l) =>
        b.subscribe((msg) => {
          if (msg.type === 'ready' && release === null)
            release = () => {
              release = () => undefined;
              l(msg);
            };
          else l(msg);
        }),
    };
    let view: LockstepView | null = null;
    const lock = new Lockstep([a, gated], {
      chunkEnd: (s) => nextBoundary(s, K),
      stopAt: 0,
      pendingInits: [1, 1],
      onChange: (v) => (view = v),
    });
    a.init(CONFIG);
    gated.init(CONFIG);
    lock.play();
    await until(() => release !== null, 'arm B ready (held)');
    await new Promise((r) => setTimeout(r, 100));
    expect(view!.steps).toEqual([0, 0]);
    expect(view!.target).toBeNull();
    release!();
    await until(() => view!.chunks >= 1, 'a chunk');
    lock.pause();
    await until(() => view!.target === null, 'paused');
    expect(view!.steps[0]).toBe(view!.steps[1]);
    // On one thread the arms' loops interleave, so one of them ends each chunk first and waits.
    expect(Math.max(...view!.waitedMs)).toBeGreaterThan(0);
    lock.dispose();
  });
});

describe('a compare= link in the store (both arms from one link)', () => {
  const boot = (link: string) => bootLab(link, () => trainer());
  const flush = () => {
    flushMessages();
    flushCompare();
    return get();
  };
  const b = (s: LabState) => s.compareRun!;

  it('arm B shares seed, data, init and probe: the same policy gives the same λmax', async () => {
    boot('?preset=mlp-spiral&backend=cpu&policy=vanilla&compare=vanilla&stopAt=20&autoplay=1');
    await until(() => {
      const s = flush();
      return s.lockstep?.playing === false && s.step === 20 && b(s).evaluations.length === 2;
    }, 'both arms at stopAt 20');
    const s = flush();
    expect(b(s).runConfig).toEqual({ ...s.runConfig, autoplay: false, events: [] });
    expect(b(s).step).toBe(20);
    // The evaluation at 20 opens step 21: at stopAt 20 there are those at 0 and 10.
    expect(s.evaluations.map((e) => e.step)).toEqual([0, 10]);
    // Same computations on the same backend: equal to the last bit, not merely close.
    s.evaluations.forEach((e, i) => {
      expect(Array.from(b(s).evaluations[i]!.lambdaMax)).toEqual(Array.from(e.lambdaMax));
    });
    expect(Array.from(b(s).metrics.loss.subarray(0, 20))).toEqual(
      Array.from(s.metrics.loss.subarray(0, 20)),
    );
  });

  it('another policy in arm B: equal at step 0 (same model and probe), Play / Pause / Step drive both', async () => {
    boot('?preset=mlp-spiral&backend=cpu&policy=mat&compare=vanilla');
    await until(() => {
      const s = flush();
      return s.phase === 'ready' && s.lockstep?.ready === true;
    }, 'both arms ready');
    stepOnce();
    await until(() => {
      const s = flush();
      return s.lockstep?.target === null && b(s).step === 1 && s.evaluations.length === 1;
    }, 'a step of both arms (with the step-0 evaluation)');
    let s = flush();
    expect(b(s).runConfig.policy).toBe('vanilla');
    expect(Array.from(b(s).evaluations[0]!.lambdaMax)).toEqual(
      Array.from(s.evaluations[0]!.lambdaMax),
    );
    play();
    await until(() => (flush().lockstep?.chunks ?? 0) >= 3, 'three chunks');
    pause();
    await until(() => flush().lockstep?.target === null, 'paused');
    s = flush();
    expect(s.step).toBe(b(s).step);
    expect(s.step % K).toBe(0);
    const at = s.step;
    stepOnce();
    await until(() => flush().lockstep?.steps[1] === at + 1 && flush().step === at + 1, 'a step');
    s = flush();
    expect(b(s).step).toBe(at + 1);
    // MAT decided to freeze something by now or not; either way the arms differ in FLOPs only
    // through their policies: vanilla's charged FLOPs are its vanilla FLOPs.
    const m = b(s).metrics;
    expect(m.flops[m.length - 1]).toBe(m.vanillaFlops[m.length - 1]);
  });

  it('a replaced arm B goes to the run list, as a replaced arm A does', async () => {
    boot('?preset=mlp-spiral&backend=cpu&policy=mat&compare=vanilla&stopAt=10&autoplay=1');
    await until(() => {
      const s = flush();
      return s.lockstep?.playing === false && s.step === 10 && b(s).step === 10;
    }, 'both arms at stopAt 10');
    chooseCompare({ policy: 'random' });
    reset();
    await until(() => flush().compareRun?.runConfig.policy === 'random', 'arm B restarted');
    const kept = get().runs.map((r) => [r.name, r.origin, r.steps]);
    expect(kept).toContainEqual(['mlp-spiral · vanilla · seed 1', ARM_B_ORIGIN, 10]);
    expect(kept).toContainEqual(['mlp-spiral · MAT · seed 1', null, 10]);
    chooseCompare(null);
    reset();
    await until(() => flush().compareRun === null, 'one arm');
    // Arm B (random) had not trained a step since the restart: nothing more is kept.
    expect(get().runs).toHaveLength(2);
  });

  it('without compare= the page runs one arm, as before', async () => {
    boot('?preset=mlp-spiral&backend=cpu&stopAt=10&autoplay=1');
    await until(() => flush().step === 10 && !flush().running, 'step 10');
    const s = flush();
    expect(s.compare).toBeNull();
    expect(s.compareRun).toBeNull();
    expect(s.compareLink).toBeNull();
    expect(s.lockstep).toBeNull();
    expect(made).toHaveLength(1);
  });

  it('a refused compare= is shown and the page runs one arm', () => {
    boot('?preset=mlp-spiral&backend=cpu&compare=vanilla,seed:2');
    const s = flush();
    expect(s.compare).toBeNull();
    expect(s.errors.map((e) => e.message)).toContainEqual(
      expect.stringContaining('seed cannot differ between the two arms'),
    );
    expect(s.compareRun).toBeNull();
  });
});
