import { useShallow } from 'zustand/react/shallow';
import { useLabStore } from '../store/store';
import { formatCount } from './format';

/** Step counter, running state and where training runs. */
export function RunStatus() {
  const s = useLabStore(
    useShallow((st) => ({ step: st.step, running: st.running, phase: st.phase, where: st.where, view: st.view, stopAt: st.runConfig.stopAt })),
  );
  const state =
    s.view === 'imported'
      ? 'imported run (read-only)'
      : s.phase === 'starting'
        ? 'starting…'
        : s.phase === 'failed'
          ? 'stopped by an error'
          : s.running
            ? 'training'
            : s.stopAt > 0 && s.step >= s.stopAt
              ? `paused at stopAt = ${s.stopAt}`
              : 'paused';
  return (
    <div className="run-status" aria-live="polite">
      <span className="step-counter">
        <span className="step-label">step</span> <span className="step-value">{formatCount(s.step)}</span>
      </span>
      <span className={`state state-${s.running ? 'running' : s.phase}`}>{state}</span>
      {s.where && s.view === 'live' && (
        <span className="where">{s.where === 'worker' ? 'training in a Web Worker' : 'training on the main thread'}</span>
      )}
    </div>
  );
}
