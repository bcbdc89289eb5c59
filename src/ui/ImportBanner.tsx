import { backToLive } from '../store/actions';
import { useLabFields } from '../store/store';
import { formatCount } from '../report/format';

/** Says that the charts show an imported file, read-only, and leads back to the live run. */
export function ImportBanner() {
  const s = useLabFields('view', 'importedName', 'step', 'runConfig');
  if (s.view !== 'imported') return null;
  return (
    <div className="import-banner" role="status">
      <span>
        Viewing imported run <strong>{s.importedName}</strong> ({s.runConfig.policy}, seed{' '}
        {s.runConfig.seed}, {formatCount(s.step)} steps): read-only.
      </span>
      <button type="button" className="primary" onClick={backToLive}>
        Back to the live run
      </button>
    </div>
  );
}
