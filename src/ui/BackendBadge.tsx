import { useLabStore } from '../store/store';
import { backendText } from './backend-text';

/** What TF.js actually runs on, from the trainer's `ready` message (or the imported file). */
export function BackendBadge() {
  const backend = useLabStore((s) => s.backend);
  const phase = useLabStore((s) => s.phase);
  const { text, tone } = backendText(backend);
  return (
    <span
      className={`badge badge-${phase === 'failed' && !backend ? 'warn' : tone}`}
      data-testid="badge.backend"
      title={backend?.requested ? `Requested backend: ${backend.requested}` : undefined}
    >
      {phase === 'failed' && !backend ? 'No backend: the run could not start' : text}
    </span>
  );
}
