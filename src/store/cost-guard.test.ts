import { beforeEach, describe, expect, it } from 'vitest';
import type { FromWorker } from '../protocol/messages';
import {
  bootLab,
  cancelCost,
  configureMessageCommit,
  confirmCost,
  play,
  stepOnce,
} from './actions';
import { resetStore, useLabStore } from './store';
import { FakeTrainer, metricsMsg, readyMsg } from './testing';

const get = useLabStore.getState;

/** `ready` on a software WebGPU adapter with these FLOPs per step and per evaluation. */
function softwareReady(t: FakeTrainer, flopsPerStep: number, evaluationFlops: number): void {
  const ready = readyMsg(get().settings);
  if (ready.type !== 'ready') throw new Error('not ready');
  t.emit({
    ...ready,
    backend: { ...ready.backend, adapter: 'google · swiftshader', isFallbackAdapter: true },
    flopsPerVanillaStep: flopsPerStep,
    evaluationFlops,
  });
}

function boot(search = ''): FakeTrainer {
  const t = new FakeTrainer();
  bootLab(search, () => t);
  return t;
}

beforeEach(() => {
  resetStore();
  configureMessageCommit(0);
});

describe('the long-step guard', () => {
  it('holds Play back behind a dialog when a step would take longer than 20 s', () => {
    const t = boot();
    softwareReady(t, 5e9, 5e9); // ≈ 2 min a step on a software adapter
    play();
    expect(t.calls).not.toContain('play');
    const c = get().costConfirm;
    expect(c?.action).toBe('play');
    expect(c?.measured).toBe(false);
    expect(c!.msPerStep).toBeGreaterThan(20_000);
    // Cancel: nothing runs.
    cancelCost();
    expect(get().costConfirm).toBeNull();
    expect(t.calls).not.toContain('play');
    // Step asks too; "Run the step anyway" runs one step and accepts this config.
    stepOnce();
    expect(get().costConfirm?.action).toBe('step');
    confirmCost();
    expect(t.calls).toContain('step 1');
    expect(get().costConfirm).toBeNull();
    // Accepted once: Play now runs without asking.
    play();
    expect(t.calls).toContain('play');
    expect(get().costConfirm).toBeNull();
  });

  it('does not ask for a cheap step, nor once a fast step time is measured', () => {
    const cheap = boot();
    softwareReady(cheap, 1e6, 1e6);
    play();
    expect(cheap.calls).toContain('play');
    expect(get().costConfirm).toBeNull();

    resetStore();
    configureMessageCommit(0);
    const t = boot();
    softwareReady(t, 5e9, 5e9);
    t.emit(metricsMsg(1, [2.3])); // medianStepMs 12
    expect(get().medianStepMs).toBe(12);
    play();
    expect(t.calls).toContain('play');
  });

  it('an autoplay link asks as well instead of starting a long step', () => {
    const t = boot('?autoplay=1');
    softwareReady(t, 5e9, 5e9);
    expect(t.calls).not.toContain('play');
    expect(get().costConfirm?.action).toBe('play');
  });
});

describe('the busy indicator', () => {
  it('shows a long step from the trainer until the next status or metrics', () => {
    const t = boot();
    softwareReady(t, 1e6, 1e6);
    const busy: FromWorker = {
      type: 'busy',
      busy: { step: 0, ms: 1500, kernels: 40, newKernels: 40 },
    };
    t.emit(busy);
    expect(get().busy).toEqual({ step: 0, ms: 1500, kernels: 40, newKernels: 40 });
    t.emit({ type: 'status', running: false, step: 1 });
    expect(get().busy).toBeNull();
    t.emit(busy);
    t.emit(metricsMsg(1, [2.3]));
    expect(get().busy).toBeNull();
  });
});
