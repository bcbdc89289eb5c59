import { useState } from 'react';
import { applySettings } from '../store/actions';
import { useLabStore } from '../store/store';
import { MODELS } from '../core/config';
import type { ModelName } from '../core/config';
import type { Draft, FieldKey, FieldSpec } from './model-fields';
import { applyDraft, editDraft, fieldsFor } from './model-fields';

function Field({
  spec,
  value,
  onChange,
}: {
  spec: FieldSpec;
  value: string;
  onChange: (v: string) => void;
}) {
  const id = `field-${spec.key}`;
  return (
    <div className="field">
      <label htmlFor={id}>
        {spec.label}
        {spec.hint && <small className="muted"> · {spec.hint}</small>}
      </label>
      {spec.options ? (
        <select id={id} value={value} onChange={(e) => onChange(e.target.value)}>
          {spec.options.map((o) => (
            <option key={o} value={o}>
              {spec.optionLabels?.[o] ?? o}
            </option>
          ))}
        </select>
      ) : (
        <input
          id={id}
          type="text"
          inputMode="decimal"
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </div>
  );
}

/** Model, data and mNTK settings: edited as a draft, applied with a restart. */
export function ModelSection() {
  const settings = useLabStore((s) => s.settings);
  const imported = useLabStore((s) => s.view === 'imported');
  const [draft, setDraft] = useState<Draft>({});
  const [problems, setProblems] = useState<string[]>([]);
  const draftModel = draft.model ?? settings.model;
  const model: ModelName = (MODELS as readonly string[]).includes(draftModel)
    ? (draftModel as ModelName)
    : settings.model;
  const changed = Object.entries(draft).some(([k, v]) => String(settings[k as FieldKey]) !== v);
  const apply = () => {
    const r = applyDraft(settings, draft);
    if (!r.ok) {
      setProblems(r.problems);
      return;
    }
    setProblems([]);
    setDraft({});
    applySettings(r.config);
  };
  return (
    <details className="panel model-section">
      <summary>Model &amp; data</summary>
      <form
        onSubmit={(e) => {
          e.preventDefault();
          apply();
        }}
      >
        <fieldset disabled={imported}>
          {fieldsFor(model).map((g) => (
            <div key={g.title} className="field-group">
              <h3>{g.title}</h3>
              {g.fields.map((f) => (
                <Field
                  key={f.key}
                  spec={f}
                  value={draft[f.key] ?? String(settings[f.key])}
                  onChange={(v) => setDraft((d) => editDraft(settings, d, f.key, v))}
                />
              ))}
            </div>
          ))}
          {problems.length > 0 && (
            <ul className="problems" role="alert">
              {problems.map((p) => (
                <li key={p}>{p}</li>
              ))}
            </ul>
          )}
          <div className="inline">
            <button type="submit" className="primary" disabled={!changed}>
              Apply &amp; reset
            </button>
            <button
              type="button"
              disabled={!changed}
              onClick={() => {
                setDraft({});
                setProblems([]);
              }}
            >
              Discard changes
            </button>
          </div>
          <p className="note">
            These settings change the model or the data, so they take effect with a restart.
          </p>
        </fieldset>
      </form>
    </details>
  );
}
