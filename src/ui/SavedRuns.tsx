import {
  AUTOSAVE_EVERY_EVALUATIONS,
  deleteSavedRun,
  formatBytes,
  MAX_SAVED_RUNS,
} from '../store/autosave';
import { resumeSavedRun } from '../store/actions';
import { useLabFields } from '../store/store';
import { formatCount } from '../report/format';
import { exportSavedRun } from './saved-run-actions';

/** The live run's last save in words, or why there is none. */
function saveStatus(s: ReturnType<typeof useSaved>): string {
  if (s.saveError) return s.saveError;
  const last = s.lastSave;
  if (!last || last.id !== s.runId) {
    return `This run is not saved yet: it is saved every ${AUTOSAVE_EVERY_EVALUATIONS} evaluations and whenever it stops.`;
  }
  const took =
    last.writeMs === null
      ? 'resumed from it'
      : `${Math.round((last.readMs ?? 0) + last.writeMs)} ms`;
  return `Saved at step ${formatCount(last.step)}, ${new Date(last.at).toLocaleTimeString()} (${formatBytes(last.bytes)}, ${took}).`;
}

function useSaved() {
  return useLabFields('runStore', 'savedRuns', 'lastSave', 'saveError', 'runId', 'view');
}

/**
 * The runs saved in this browser (IndexedDB): name, step, date and size, each with Resume,
 * Export and Delete; and where the live run's autosave stands (or why it failed).
 */
export function SavedRuns() {
  const s = useSaved();
  if (!s.runStore) return null;
  return (
    <section className="panel saved-runs" data-testid="panel.saved" aria-labelledby="saved-title">
      <h2 id="saved-title" className="panel-title">
        Saved runs
      </h2>
      <p
        className={s.saveError ? 'note save-error' : 'note'}
        data-testid="saved.status"
        role={s.saveError ? 'alert' : undefined}
      >
        {saveStatus(s)}
      </p>
      {s.savedRuns.length > 0 && (
        <ul className="saved-list" data-testid="saved.list">
          {s.savedRuns.map((m) => (
            <li key={m.id} data-testid="saved.run" data-step={m.step}>
              <span className="saved-name">
                {m.name}
                {m.id === s.runId && <span className="muted"> (this run)</span>}
              </span>
              <span className="muted">
                step {formatCount(m.step)} · {new Date(m.savedAt).toLocaleString()} ·{' '}
                {formatBytes(m.bytes)}
              </span>
              <span className="inline wrap">
                <button
                  type="button"
                  onClick={() => void resumeSavedRun(m.id)}
                  disabled={s.view !== 'live'}
                  aria-label={`Resume ${m.name} at step ${m.step}`}
                >
                  Resume
                </button>
                <button
                  type="button"
                  onClick={() => void exportSavedRun(m.id)}
                  disabled={s.view !== 'live'}
                  aria-label={`Export ${m.name} at step ${m.step}`}
                >
                  Export
                </button>
                <button
                  type="button"
                  className="link-button"
                  data-testid="saved.delete"
                  onClick={() => void deleteSavedRun(m.id)}
                  aria-label={`Delete the saved ${m.name} at step ${m.step}`}
                >
                  Delete
                </button>
              </span>
            </li>
          ))}
        </ul>
      )}
      <p className="note muted">
        Kept in this browser only (IndexedDB), the newest {MAX_SAVED_RUNS}: the weights, optimizer
        state and data order to resume exactly, with the metrics, evaluations and changes.
      </p>
    </section>
  );
}
