import type { ExperimentConfig } from '../core/config';
import type { ProbeOutputs } from '../store/run-slice';
import { moduleWords } from './model-words';

/** What the kernel is and how it is computed for this run (exact, or R random projections). */
export function KernelText({ cfg, probe }: { cfg: ExperimentConfig; probe: ProbeOutputs | null }) {
  const how =
    cfg.kernel !== 'trace'
      ? 'from the per-sample gradients of the loss'
      : probe === null
        ? `with up to R = ${cfg.R} random output projections when there are more than 16 outputs`
        : probe.exact
          ? `exactly: the trace over all k = ${probe.k} outputs, one backward pass per output`
          : `as an unbiased estimate with R = ${probe.projections} random ±1 projections of the k = ${probe.k} outputs`;
  return (
    <div className="kernel">
      {cfg.kernel === 'step' ? (
        <p>
          Every K = {cfg.K} steps each module m gets an n × n kernel over the first n = {cfg.probe}{' '}
          samples of that step&apos;s training batch, computed {how}, taken from the training
          step&apos;s own forward and backward pass; the step&apos;s update waits for the decision:
        </p>
      ) : (
        <p>
          Every K = {cfg.K} steps each module m gets an n × n kernel over a fixed probe batch of n ={' '}
          {cfg.probe} samples (drawn once from the training set with the run&apos;s seed; dropout
          off), computed {how}:
        </p>
      )}
      <code className="formula block">
        Θ_m[i, j] = (1/k) Σ_c ⟨ ∂f_c(x_i)/∂θ_m , ∂f_c(x_j)/∂θ_m ⟩, λmax_m = largest eigenvalue of
        Θ_m
      </code>
      {cfg.kernel !== 'trace' && (
        <p className="note">
          This run uses the loss kernel: rows are per-sample loss gradients ∇θ_m ℓ(x_i)
          {cfg.kernel === 'step' ? ', x_i from the training batch' : ''}
          {cfg.kernel === 'step' && cfg.model === 'switch'
            ? ' (ℓ_i includes the sample’s share of the load-balancing loss, routing held fixed)'
            : ''}
          . λmax is exact for those samples; with the step kernel they change at every evaluation,
          so λmax also carries their sampling noise.
        </p>
      )}
      {cfg.kernel === 'trace' && probe !== null && !probe.exact && (
        <p className="note">
          The module drill-down shows each λmax ± its standard error over the R ={' '}
          {probe.projections} projections (a jackknife: λmax again with each projection left out).
        </p>
      )}
      <p>
        Warm-up W0 = {cfg.warmup} steps, window w = {cfg.window} evaluations, ref = {cfg.ref} over
        the {moduleWords(cfg.model, cfg.modules, cfg.fc).many}, each kind apart, stops{' '}
        {cfg.stop === 'sticky' ? 'are sticky' : 'are re-checked at every evaluation'}.
      </p>
    </div>
  );
}
