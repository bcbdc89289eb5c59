import { useShallow } from 'zustand/react/shallow';
import { getPolicy } from '../core/policies/registry';
import { useLabStore } from '../store/store';
import { moduleWords } from './model-words';
import { ParamSlider } from './ParamSlider';
import { LIVE_SLIDERS } from './shortcuts';

/** α and β, the two live parameters of MAT. */
export function ParamSliders() {
  const s = useLabStore(
    useShallow((st) => ({
      phase: st.phase,
      view: st.view,
      policy: st.runConfig.policy,
      K: st.runConfig.K,
      ref: st.runConfig.ref,
      window: st.runConfig.window,
      model: st.runConfig.model,
      modules: st.runConfig.modules,
      fc: st.runConfig.fc,
    })),
  );
  const one = moduleWords(s.model, s.modules, s.fc).one;
  const { sliderNote } = getPolicy(s.policy);
  const disabled = s.phase !== 'ready' || s.view !== 'live';
  const sliders = [
    {
      name: 'alpha',
      label: 'α (modular)',
      max: LIVE_SLIDERS.alpha.max,
      step: LIVE_SLIDERS.alpha.step,
      help: `A ${one} trains while its λmax ≥ α × the ${s.ref} λmax of the modules of its kind.`,
    },
    {
      name: 'beta',
      label: 'β (temporal)',
      max: LIVE_SLIDERS.beta.max,
      step: LIVE_SLIDERS.beta.step,
      help: `A ${one} stops once its λmax changes by less than β (relative) over the last ${s.window} evaluation${s.window === 1 ? '' : 's'}.`,
    },
  ] as const;
  return (
    <fieldset className="panel">
      <legend>MAT thresholds</legend>
      {sliders.map((p) => (
        <ParamSlider key={p.name} {...p} min={0} disabled={disabled} />
      ))}
      <p className="note">
        A change takes effect at the next evaluation (every K = {s.K} steps; at once when paused)
        and is logged with its step, so the link replays it.
        {sliderNote !== null && ` ${sliderNote}`}
      </p>
    </fieldset>
  );
}
