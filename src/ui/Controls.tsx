import { useEffect } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { pause, play, reset, stepOnce } from '../store/actions';
import { useLabStore } from '../store/store';

/** Play / pause / one step / reset. Space toggles play and pause when no field has focus. */
export function Controls() {
  const s = useLabStore(
    useShallow((st) => ({ running: st.running, phase: st.phase, view: st.view })),
  );
  const canTrain = s.view === 'live' && s.phase === 'ready';
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key !== ' ' || e.repeat || e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (t && t.closest('input, select, textarea, button, summary, [contenteditable="true"]'))
        return;
      const st = useLabStore.getState();
      if (st.view !== 'live' || st.phase !== 'ready') return;
      e.preventDefault();
      if (st.running) pause();
      else play();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
  return (
    <div className="controls" role="group" aria-label="Run controls">
      <button
        type="button"
        className="primary"
        data-testid="controls.play"
        onClick={play}
        disabled={!canTrain || s.running}
      >
        ▶ Play
      </button>
      <button type="button" data-testid="controls.pause" onClick={pause} disabled={!s.running}>
        ❚❚ Pause
      </button>
      <button
        type="button"
        data-testid="controls.step"
        onClick={stepOnce}
        disabled={!canTrain || s.running}
        title="Train one step"
      >
        Step +1
      </button>
      <button
        type="button"
        data-testid="controls.reset"
        onClick={reset}
        title="Restart from step 0 with the settings shown (α and β as the sliders show them; the change log starts empty). Charts are cleared."
      >
        ↺ Reset
      </button>
    </div>
  );
}
