import { useEffect, useRef } from 'react';
import {
  nudgeLiveParam,
  pause,
  play,
  reset,
  setShortcutsOpen,
  stepOnce,
  togglePresenter,
} from '../store/actions';
import { useLabStore } from '../store/store';
import { isTraining } from '../store/compare';
import type { LiveParam } from '../core/config';
import type { ShortcutAction } from './shortcuts';
import { GRID_KEYS, LIVE_SLIDERS, SHORTCUTS, shortcutFor } from './shortcuts';

function nudge(name: LiveParam, direction: 1 | -1): void {
  const st = useLabStore.getState();
  if (st.view !== 'live' || st.phase !== 'ready') return;
  const r = LIVE_SLIDERS[name];
  nudgeLiveParam(name, direction * r.step, r.min, r.max);
}

/** What each shortcut does (the same actions as the buttons and sliders). */
function run(action: ShortcutAction): void {
  const st = useLabStore.getState();
  const canTrain = st.view === 'live' && st.phase === 'ready';
  switch (action) {
    case 'play-pause':
      if (isTraining(st)) pause();
      else if (canTrain) play();
      return;
    case 'step':
      if (canTrain && !isTraining(st)) stepOnce();
      return;
    case 'reset':
      reset();
      return;
    case 'alpha-down':
      return nudge('alpha', -1);
    case 'alpha-up':
      return nudge('alpha', 1);
    case 'beta-down':
      return nudge('beta', -1);
    case 'beta-up':
      return nudge('beta', 1);
    case 'presenter':
      togglePresenter();
      return;
    case 'help':
      setShortcutsOpen(true);
      return;
  }
}

/** The page's keyboard shortcuts (see shortcuts.ts), on while the lab is shown. */
export function useShortcuts(): void {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.defaultPrevented) return;
      // While the sheet or the long-step dialog (modal dialogs) is open, keys belong to it.
      const st = useLabStore.getState();
      if (st.shortcutsOpen || st.costConfirm) return;
      const action = shortcutFor(e);
      if (!action) return;
      e.preventDefault();
      run(action);
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

/** The `?` sheet: every shortcut, in a modal dialog (Escape or Close closes it). */
export function ShortcutSheet() {
  const open = useLabStore((s) => s.shortcutsOpen);
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (open && !d.open) d.showModal?.();
    if (!open && d.open) d.close();
  }, [open]);
  return (
    <dialog
      ref={ref}
      className="shortcut-sheet"
      aria-labelledby="shortcuts-title"
      data-testid="dialog.shortcuts"
      onClose={() => setShortcutsOpen(false)}
    >
      <h2 id="shortcuts-title">Keyboard shortcuts</h2>
      <p className="note">Not while typing in a field.</p>
      <table className="module-table">
        <tbody>
          {SHORTCUTS.map((s) => (
            <tr key={s.action}>
              <th scope="row">
                <kbd>{s.label}</kbd>
              </th>
              <td>{s.what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <h3>On a focused heatmap or timeline</h3>
      <table className="module-table">
        <tbody>
          {GRID_KEYS.map((k) => (
            <tr key={k.label}>
              <th scope="row">
                <kbd>{k.label}</kbd>
              </th>
              <td>{k.what}</td>
            </tr>
          ))}
        </tbody>
      </table>
      <form method="dialog">
        <button type="submit" className="primary">
          Close
        </button>
      </form>
    </dialog>
  );
}
