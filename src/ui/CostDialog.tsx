import { useEffect, useRef } from 'react';
import { formatDuration } from '../core/step-cost';
import { applyPreset, cancelCost, confirmCost } from '../store/actions';
import { useLabFields } from '../store/store';
import { backendText } from './backend-text';

/** The preset offered where steps are slow: a step of it takes well under a second even in software. */
export const LIGHT_PRESET = { id: 'mlp-spiral', label: 'MLP · spiral' } as const;

/**
 * Asks before Play or Step when a step of this experiment would take longer than the guard's
 * bound (`CONFIRM_ABOVE_MS`): an in-page modal dialog (never `window.confirm`) with the estimate
 * and where it comes from. "Train anyway" runs what was asked and this config asks no more;
 * Cancel or Escape runs nothing.
 */
export function CostDialog() {
  const s = useLabFields('costConfirm', 'backend', 'runConfig');
  const c = s.costConfirm;
  const ref = useRef<HTMLDialogElement>(null);
  useEffect(() => {
    const d = ref.current;
    if (!d) return;
    if (c && !d.open) d.showModal?.();
    if (!c && d.open) d.close();
  }, [c]);
  const adapter = backendText(s.backend).text;
  const K = s.runConfig.K;
  return (
    <dialog
      ref={ref}
      className="cost-dialog"
      aria-labelledby="cost-title"
      aria-describedby="cost-text"
      data-testid="dialog.cost"
      onClose={cancelCost}
    >
      {c && (
        <>
          <h2 id="cost-title">
            {c.action === 'play' ? 'Play' : 'One step'}: each step takes ≈{' '}
            {formatDuration(c.msPerStep)} here
          </h2>
          <p id="cost-text" data-testid="cost.text">
            On this backend ({adapter}) a step of this experiment{' '}
            {c.measured ? 'has taken' : 'is estimated at'} ≈ {formatDuration(c.msPerStep)} on
            average, and ≈ {formatDuration(c.msWithEvaluation)} when it starts with an mNTK
            evaluation (step 0, then every K = {K} steps).{' '}
            {c.measured
              ? 'Measured on this page.'
              : 'Estimated from the analytic FLOPs of a step and of an evaluation at a conservative rate for this backend; once steps have run the measured time replaces it.'}{' '}
            The page stays responsive, but a step cannot be stopped halfway: Pause takes effect
            after it.
          </p>
          <p className="note">
            Smaller widths, fewer layers, a smaller batch or sequence, or a larger K make steps
            shorter.
          </p>
          <div className="dialog-actions">
            <button
              type="button"
              className="primary"
              data-testid="cost.confirm"
              onClick={confirmCost}
            >
              {c.action === 'play' ? 'Train anyway' : 'Run the step anyway'}
            </button>
            {s.runConfig.model !== 'mlp' && (
              <button
                type="button"
                data-testid="cost.light"
                onClick={() => {
                  cancelCost();
                  applyPreset(LIGHT_PRESET.id);
                }}
              >
                Open the {LIGHT_PRESET.label} preset instead
              </button>
            )}
            <button type="button" data-testid="cost.cancel" onClick={cancelCost}>
              Cancel
            </button>
          </div>
        </>
      )}
    </dialog>
  );
}
