import { useEffect, useState } from 'react';
import { useLabFields, useLabStore } from '../store/store';
import type { LoadProgress } from '../protocol/messages';
import { formatCount } from '../report/format';

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
  const s = useLabFields('step', 'running', 'phase', 'where', 'view', 'runConfig', 'loading');
  const state =
    s.view === 'imported'
      ? 'imported run (read-only)'
      : s.phase === 'starting'
        ? 'starting…'
        : s.phase === 'failed'
          ? 'stopped by an error'
          : s.running
            ? 'training'
            : s.runConfig.stopAt > 0 && s.step === s.runConfig.stopAt
              ? `paused at stopAt = ${s.runConfig.stopAt}`
              : 'paused';
  return (
    <div className="run-status">
      <Announcer state={state} />
      <span className="step-counter">
        <span className="step-label">step</span>{' '}
        <span className="step-value">{formatCount(s.step)}</span>
      </span>
      <span className={`state state-${s.running ? 'running' : s.phase}`}>{state}</span>
      {s.loading && s.phase === 'starting' && <LoadingBar progress={s.loading} />}
      {s.where && s.view === 'live' && (
        <span className="where">
          {s.where === 'worker' ? 'training in a Web Worker' : 'training on the main thread'}
        </span>
      )}
    </div>
  );
}
