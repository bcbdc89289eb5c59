import { useEffect, useState } from 'react';
import { useLabFields, useLabStore } from '../store/store';
import { isTraining } from '../store/compare';
import type { BusyInfo, LoadProgress } from '../protocol/messages';
import { busyText } from './busy-text';
import { formatCount, formatFlops } from '../report/format';
import { formatDuration } from '../core/step-cost';
import { liveStepCost } from '../store/actions';

/** Download progress of a large data set (the full Fashion-MNIST), before the run is ready. */
function LoadingBar({ progress }: { progress: LoadProgress }) {
  const mb = (b: number) => (b / 1e6).toFixed(1);
  const share = progress.total ? Math.min(1, progress.loaded / progress.total) : null;
  return (
    <span className="loading" data-testid="data.progress">
      <label>
        {progress.what}:{' '}
        {progress.total
          ? `${mb(progress.loaded)} of ${mb(progress.total)} MB`
          : `${mb(progress.loaded)} MB`}
        {share !== null && progress.loaded >= progress.total! ? ' — decoding…' : ''}{' '}
        <progress max={1} value={share ?? undefined} />
      </label>
    </span>
  );
}

/** The busy indicator: shown while a step has run for more than a second. */
function Busy({ busy }: { busy: BusyInfo }) {
  return (
    <span className="busy" data-testid="status.busy">
      <span className="spinner" aria-hidden="true" />
      {busyText(busy)}
    </span>
  );
}

/**
 * The step time: measured once steps have run (this run, or the same config earlier on the
 * page), else estimated from the step's and the evaluation's FLOPs at the backend's rate.
 */
function Estimate() {
  const s = useLabFields(
    'backend',
    'flopsPerVanillaStep',
    'evaluationFlops',
    'runConfig',
    'medianStepMs',
    'measured',
  );
  const cost = liveStepCost(s);
  if (!cost || !s.backend) return null;
  const flops = (s.flopsPerVanillaStep ?? 0) + (s.evaluationFlops ?? 0) / s.runConfig.K;
  const how = cost.measured
    ? 'measured median over the steps run'
    : `estimated: ${formatFlops(flops)} per step (the evaluation every K = ${s.runConfig.K} steps included) at ≈ ${formatFlops(cost.rate.flopsPerSecond)}/s (${cost.rate.basis}) + ${cost.rate.overheadMs} ms`;
  return (
    <span className="estimate" data-testid="status.estimate" title={how}>
      ≈ {formatDuration(cost.msPerStep)} per step on this adapter
      {cost.measured ? ' (measured)' : ' (estimate)'}
    </span>
  );
}

/** Fewest seconds between two announcements of the decisions (they change every K steps). */
const DECISION_ANNOUNCE_MS = 10_000;

/**
 * What a screen reader hears: the state (training, paused, stopped…) when it changes, and the
 * number of modules training when it changes, at most every {@link DECISION_ANNOUNCE_MS}. The
 * step counter itself is not announced (it changes many times a second).
 */
function Announcer({ state }: { state: string }) {
  const decisions = useLabStore((s) => s.decisions);
  const on = decisions ? decisions.updating.filter(Boolean).length : null;
  const total = decisions?.updating.length ?? 0;
  const [said, setSaid] = useState<{ on: number | null; at: number }>({ on: null, at: 0 });
  useEffect(() => {
    if (on === said.on) return;
    const wait = Math.max(0, said.at + DECISION_ANNOUNCE_MS - Date.now());
    const t = setTimeout(() => setSaid({ on, at: Date.now() }), wait);
    return () => clearTimeout(t);
  }, [on, said]);
  return (
    <span className="visually-hidden" role="status" data-testid="status.announce">
      {state}
      {said.on !== null ? `; ${said.on} of ${total} modules training` : ''}
    </span>
  );
}

/** Step counter, running state and where training runs. */
export function RunStatus() {
  const s = useLabFields(
    'step',
    'running',
    'phase',
    'where',
    'view',
    'runConfig',
    'loading',
    'busy',
    'lockstep',
  );
  // Two arms (Live A/B) train chunk by chunk: between chunks arm A's own loop is idle.
  const running = isTraining(s);
  const busy = s.view === 'live' ? s.busy : null;
  const state =
    s.view === 'imported'
      ? 'imported run (read-only)'
      : s.phase === 'starting'
        ? 'starting…'
        : s.phase === 'failed'
          ? 'stopped by an error'
          : running
            ? 'training'
            : s.runConfig.stopAt > 0 && s.step === s.runConfig.stopAt
              ? `paused at stopAt = ${s.runConfig.stopAt}`
              : 'paused';
  return (
    <div className="run-status">
      <Announcer
        state={
          busy
            ? `${state}; ${busy.step === 0 && busy.newKernels > 0 ? 'compiling shaders' : 'a long step is running'}`
            : state
        }
      />
      <span className="step-counter">
        <span className="step-label">step</span>{' '}
        <span className="step-value">{formatCount(s.step)}</span>
      </span>
      <span className={`state state-${running ? 'running' : s.phase}`}>{state}</span>
      {s.loading && s.phase === 'starting' && <LoadingBar progress={s.loading} />}
      {busy && <Busy busy={busy} />}
      {s.view === 'live' && s.phase === 'ready' && <Estimate />}
      {s.where && s.view === 'live' && (
        <span className="where">
          {s.where === 'worker' ? 'training in a Web Worker' : 'training on the main thread'}
        </span>
      )}
    </div>
  );
}
