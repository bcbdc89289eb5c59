import { formatDuration } from '../core/step-cost';
import { applyPreset, dismissSoftwareNotice, liveStepCost } from '../store/actions';
import { useLabFields } from '../store/store';
import { LIGHT_PRESET } from './CostDialog';

/**
 * Where WebGPU runs on a software adapter (SwiftShader: the CPU executes every GPU kernel), a
 * transformer or the VGG is slow: the first step compiles every shader (a minute or more), then
 * each step takes seconds, and MAT's first decision comes after the warm-up. This says so, with
 * the numbers for the experiment on screen, and offers the MLP preset in one click.
 */
export function SoftwareNotice() {
  const s = useLabFields(
    'backend',
    'view',
    'runConfig',
    'softwareNoticeDismissed',
    'flopsPerVanillaStep',
    'evaluationFlops',
    'medianStepMs',
    'measured',
  );
  const b = s.backend;
  if (s.view !== 'live' || s.softwareNoticeDismissed || !b) return null;
  if (b.backend !== 'webgpu' || !b.isFallbackAdapter || s.runConfig.model === 'mlp') return null;
  const cost = liveStepCost(s);
  // MAT decides at the first evaluation after the warm-up.
  const { warmup, K } = s.runConfig;
  const firstDecision = Math.max(K, Math.ceil(warmup / K) * K);
  return (
    <section
      className="software-notice"
      aria-labelledby="software-notice-title"
      data-testid="notice.software"
    >
      <h2 id="software-notice-title">This adapter is a software renderer</h2>
      <p>
        WebGPU runs here on {b.adapter || 'a fallback adapter'} in software: the CPU executes every
        GPU kernel. The first step compiles every shader it uses (a minute or more for this model;
        the status line counts them), then{' '}
        {cost
          ? `each step takes ≈ ${formatDuration(cost.msPerStep)} (${cost.measured ? 'measured' : 'estimate'}), so the first decision after the warm-up, at step ${firstDecision}, comes after ≈ ${formatDuration(cost.msPerStep * firstDecision)}.`
          : `each step takes seconds, and the first decision after the warm-up comes at step ${firstDecision}.`}{' '}
        The {LIGHT_PRESET.label} preset (16 neurons) takes well under a second a step even here, and
        shows MAT deciding within a minute.
      </p>
      <div className="dialog-actions">
        <button
          type="button"
          className="primary"
          data-testid="notice.software.switch"
          onClick={() => applyPreset(LIGHT_PRESET.id)}
        >
          Switch to {LIGHT_PRESET.label}
        </button>
        <button type="button" data-testid="notice.software.dismiss" onClick={dismissSoftwareNotice}>
          Keep this experiment
        </button>
      </div>
    </section>
  );
}
