import { PRESETS } from '../core/presets';
import { applyPreset } from '../store/actions';
import { presetStatus, presetStatusText } from '../store/preset-state';
import { useLabFields } from '../store/store';

/**
 * The Preset select: every preset with its label; choosing one applies its whole experiment and
 * restarts. When the run no longer equals the preset it came from, the select says so
 * ("custom (from …)") instead of showing the preset's name.
 */
export function PresetPicker() {
  const s = useLabFields('runConfig', 'passThrough', 'view');
  // An imported run is not the link's: it is whichever preset its own config is, if any.
  const status = presetStatus(s.runConfig, s.view === 'imported' ? [] : s.passThrough);
  const exact = status.preset !== null && status.differs.length === 0;
  const value = exact && status.preset ? status.preset.id : '';
  return (
    <div className="field">
      <label htmlFor="preset-select">Preset</label>
      <select
        id="preset-select"
        data-testid="preset.select"
        value={value}
        onChange={(e) => {
          if (e.target.value !== '') applyPreset(e.target.value);
        }}
      >
        {!exact && <option value="">{presetStatusText(status)}</option>}
        {PRESETS.map((p) => (
          <option key={p.id} value={p.id}>
            {p.label}
          </option>
        ))}
      </select>
    </div>
  );
}
