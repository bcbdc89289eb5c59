import { POLICIES } from '../core/config';
import type { PolicyName } from '../core/config';
import { getPolicy } from '../core/policies/registry';
import { formatCompare } from '../core/url';
import { reset } from '../store/actions';
import { chooseCompare } from '../store/compare';
import { useLabStore } from '../store/store';

/**
 * "Compare with": a second arm of the same experiment under another policy (Live A/B), trained
 * in lockstep beside the run. A choice restarts both arms at step 0; the link keeps it
 * (`compare=`). A link's own overrides (`compare=mat,alpha:1.2`) show as one more option.
 */
export function CompareSelect() {
  const spec = useLabStore((s) => s.compare);
  const imported = useLabStore((s) => s.view === 'imported');
  const value = spec ? formatCompare(spec) : 'none';
  const custom = spec !== null && !(POLICIES as readonly string[]).includes(value);
  return (
    <fieldset className="panel" disabled={imported} data-testid="compare.panel-select">
      <legend>Live A/B</legend>
      <label className="field">
        <span>Compare with</span>
        <select
          value={value}
          data-testid="compare.select"
          onChange={(e) => {
            const v = e.target.value;
            if (v === value) return;
            chooseCompare(v === 'none' ? null : { policy: v as PolicyName });
            reset();
          }}
        >
          <option value="none">none (one run)</option>
          {POLICIES.map((p) => (
            <option key={p} value={p}>
              {getPolicy(p).label}
            </option>
          ))}
          {custom && <option value={value}>{value} (from the link)</option>}
        </select>
      </label>
      <p className="hint">
        A second run of the same experiment (seed, data order, initial weights and probe batch)
        under another policy, stepped in lockstep with this one. Choosing restarts both at step 0.
        Sliders and overrides act on this run only.
      </p>
    </fieldset>
  );
}
