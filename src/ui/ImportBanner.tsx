import { useShallow } from 'zustand/react/shallow';
import { backToLive } from '../store/actions';
import { useLabStore } from '../store/store';
import { formatCount } from '../report/format';

/** Says that the charts show an imported file, read-only, and leads back to the live run. */
export function ImportBanner() {
  const s = useLabStore(
    useShallow((st) => ({
      view: st.view,
      name: st.importedName,
      step: st.step,
      policy: st.runConfig.policy,
      seed: st.runConfig.seed,
    })),
  );
  if (s.view !== 'imported') return null;
  return (
    <div className="import-banner" role="status">
      <span>
        Viewing imported run <strong>{s.name}</strong> ({s.policy}, seed {s.seed},{' '}
        {formatCount(s.step)} steps): read-only.
      </span>
      <button type="button" className="primary" onClick={backToLive}>
        Back to the live run
      </button>
    </div>
  );
}
