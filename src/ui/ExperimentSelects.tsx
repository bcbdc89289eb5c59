import { useState } from 'react';
import { POLICIES } from '../core/config';
import type { PolicyName } from '../core/config';
import { getPolicy } from '../core/policies/registry';
import { applySettings } from '../store/actions';
import { useLabStore } from '../store/store';
import { PresetPicker } from './PresetPicker';

const K_CHOICES = [1, 2, 5, 10, 20, 50, 100];

/** Policy, evaluation interval and seed: each change restarts the run with it. */
export function ExperimentSelects() {
  const settings = useLabStore((s) => s.settings);
  const imported = useLabStore((s) => s.view === 'imported');
  const [seedText, setSeedText] = useState<string | null>(null);
  const kChoices = K_CHOICES.includes(settings.K)
    ? K_CHOICES
    : [...K_CHOICES, settings.K].sort((a, b) => a - b);
  const commitSeed = () => {
    if (seedText === null) return;
    const seed = Number(seedText);
    setSeedText(null);
    if (Number.isInteger(seed) && seed >= 0 && seed <= 2 ** 31 - 1 && seed !== settings.seed)
      applySettings({ seed });
  };
  return (
    <fieldset className="panel" disabled={imported}>
      <legend>Experiment</legend>
      <PresetPicker />
      <label className="field">
        <span>Policy</span>
        <select
          value={settings.policy}
          onChange={(e) => applySettings({ policy: e.target.value as PolicyName })}
        >
          {POLICIES.map((p) => (
            <option key={p} value={p}>
              {getPolicy(p).label}
            </option>
          ))}
        </select>
      </label>
      <p className="hint">{getPolicy(settings.policy).description}</p>
      <label className="field">
        <span>Evaluate λmax every K steps</span>
        <select value={settings.K} onChange={(e) => applySettings({ K: Number(e.target.value) })}>
          {kChoices.map((k) => (
            <option key={k} value={k}>
              {k}
            </option>
          ))}
        </select>
      </label>
      <div className="field">
        <label htmlFor="seed-input">Seed</label>
        <div className="inline">
          <input
            id="seed-input"
            type="number"
            min={0}
            max={2 ** 31 - 1}
            step={1}
            value={seedText ?? String(settings.seed)}
            onChange={(e) => setSeedText(e.target.value)}
            onBlur={commitSeed}
            onKeyDown={(e) => {
              if (e.key === 'Enter') commitSeed();
            }}
          />
          <button
            type="button"
            onClick={() => applySettings({ seed: Math.floor(Math.random() * 2 ** 31) })}
            title="A new random seed"
          >
            New seed
          </button>
        </div>
      </div>
      <p className="note">
        Choosing a preset, or changing the policy, K or the seed, restarts the run from step 0.
      </p>
    </fieldset>
  );
}
