import { dismissError, dismissErrors, reset } from '../store/actions';
import { useLabStore } from '../store/store';
import type { LabError } from '../store/ui-slice';

const CODE_TITLES: Record<string, string> = {
  'no-webgpu': 'WebGPU is not available',
  'device-lost': 'The GPU device was lost',
  'nan-loss': 'The loss diverged',
  data: 'The data could not be loaded',
  config: 'The experiment is not valid',
  'worker-crashed': 'The training worker crashed',
  internal: 'Training stopped with an error',
  'storage-quota': 'The browser’s storage is full',
  storage: 'Saving failed',
};

function ErrorItem({ e }: { e: LabError }) {
  return (
    <li className={e.fatal ? 'fatal' : undefined}>
      {(e.source === 'trainer' || e.source === 'storage') && e.code && (
        <strong>{CODE_TITLES[e.code] ?? 'Problem'}. </strong>
      )}
      {/* Messages are rendered as text: URL values in them are escaped by React, never parsed as markup. */}
      <span>{e.message}</span>
      {e.count > 1 && <span className="muted"> (reported {e.count} times)</span>}
      <button
        type="button"
        className="link-button"
        onClick={() => dismissError(e.id)}
        aria-label="Dismiss this message"
      >
        Dismiss
      </button>
    </li>
  );
}

/** URL problems, trainer errors and import/export failures, as sentences. */
export function ErrorPanel() {
  const errors = useLabStore((s) => s.errors);
  if (errors.length === 0) return null;
  const url = errors.filter((e) => e.source === 'url');
  const other = errors.filter((e) => e.source !== 'url');
  const fatal = other.some((e) => e.fatal);
  return (
    <section className="error-panel" data-testid="panel.error" role="alert" aria-label="Problems">
      {url.length > 0 && (
        <div className="error-group">
          <p>
            <strong>The link had problems; each field below uses the value it names:</strong>
          </p>
          <ul>
            {url.map((e) => (
              <ErrorItem key={e.id} e={e} />
            ))}
          </ul>
        </div>
      )}
      {other.length > 0 && (
        <div className="error-group">
          <ul>
            {other.map((e) => (
              <ErrorItem key={e.id} e={e} />
            ))}
          </ul>
        </div>
      )}
      <div className="error-actions">
        {fatal && (
          <>
            <span>The run has stopped.</span>
            <button type="button" className="primary" onClick={reset}>
              Reset
            </button>
          </>
        )}
        <button type="button" onClick={() => dismissErrors()}>
          Dismiss all
        </button>
      </div>
    </section>
  );
}
