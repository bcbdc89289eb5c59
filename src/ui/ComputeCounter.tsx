import { useShallow } from 'zustand/react/shallow';
import { getPolicy } from '../core/policies/registry';
import { measureKey } from '../store/actions';
import { computeSplit, computeSummary } from '../store/selectors';
import { useLabStore } from '../store/store';
import { formatCount, formatFlops, formatMs, formatPercent } from '../report/format';
import { ComputeSplitView } from './ComputeSplit';
import { savingStat } from './compute-text';

/**
 * Live A/B: both arms' cumulative charged FLOPs and measured ms per step, side by side. The ms is
 * the worker's median step time (as for a single run) and, in brackets, the wall-clock per step
 * in lockstep, waits for the other arm excluded.
 */
function CompareCompute({ compact }: { compact: boolean }) {
  const s = useLabStore(
    useShallow((st) => ({
      metrics: st.metrics,
      evaluations: st.evaluations,
      flopsPerEvaluation: st.flopsPerEvaluation,
      medianStepMs: st.medianStepMs,
      b: st.compareRun,
      lockstep: st.lockstep,
      policyA: st.runConfig.policy,
    })),
  );
  const { b, lockstep } = s;
  if (!b || !lockstep) return null;
  const a = s;
  const arms = [
    { name: `A · ${getPolicy(s.policyA).label}`, d: a, i: 0 as const },
    { name: `B · ${getPolicy(b.runConfig.policy).label}`, d: b, i: 1 as const },
  ];
  return (
    <div className="stats compare-compute" data-testid="compute.compare">
      {arms.map(({ name, d, i }) => {
        const c = computeSummary(d);
        const tag = i === 0 ? 'A' : 'B';
        return (
          <div className="stat" key={tag}>
            <span className="stat-label">{name}</span>
            <span className="stat-value" data-testid={`compute.arm${tag}`} data-flops={c.charged}>
              {formatFlops(c.charged)}
            </span>
            <span className="stat-note" data-testid={`compute.arm${tag}.ms`}>
              {formatMs(d.medianStepMs)}/step ({formatMs(lockstep.msPerStep[i])} in lockstep)
              {compact ? '' : ` after ${formatCount(c.steps)} steps`}
            </span>
          </div>
        );
      })}
    </div>
  );
}

/**
 * Charged FLOPs vs vanilla for the same steps, and the measured step time: side by side; then
 * both split by part (forward, input and weight gradients, optimizer, mNTK evaluations).
 */
export function ComputeCounter({ compact = false }: { compact?: boolean }) {
  const s = useLabStore(
    useShallow((st) => ({
      metrics: st.metrics,
      evaluations: st.evaluations,
      flopsPerEvaluation: st.flopsPerEvaluation,
      medianStepMs: st.medianStepMs,
      runConfig: st.runConfig,
      backend: st.backend,
      measured: st.measured,
      view: st.view,
    })),
  );
  const c = computeSummary(s);
  const split = computeSplit(s);
  const policy = getPolicy(s.runConfig.policy).label;
  const vanillaKey = s.backend
    ? measureKey({ ...s.runConfig, policy: 'vanilla' }, s.backend.backend)
    : null;
  const vanillaMs =
    vanillaKey !== null && s.runConfig.policy !== 'vanilla' ? s.measured[vanillaKey] : undefined;
  const mntkShare = c.mntk !== null && c.charged > 0 ? c.mntk / c.charged : NaN;
  const saved = savingStat(c.saving);
  return (
    <section className="card compute" data-testid="counter.compute" aria-labelledby="compute-title">
      <header className="card-head">
        <h2 id="compute-title">Compute</h2>
        <p className={compact ? 'visually-hidden' : 'card-sub'}>
          Analytic training FLOPs after {formatCount(c.steps)} steps. The policy is charged for its
          mNTK evaluations too. Validation passes are monitoring and are not charged.
        </p>
      </header>
      <div className="stats">
        <div className="stat">
          <span className="stat-label">{policy} (charged)</span>
          <span className="stat-value" data-testid="compute.charged" data-flops={c.charged}>
            {formatFlops(c.charged)}
          </span>
          <span className="stat-note">
            {c.mntk === null
              ? s.view === 'imported'
                ? 'mNTK share not recorded in this file'
                : 'mNTK cost known once the run is ready'
              : s.flopsPerEvaluation === 0
                ? 'no mNTK cost: this policy does not need λmax (shown for reference only)'
                : c.evaluations === 0
                  ? `each mNTK evaluation is charged ${formatFlops(s.flopsPerEvaluation ?? NaN)}`
                  : `incl. mNTK ${formatFlops(c.mntk)} (${formatPercent(mntkShare)}) for ${c.evaluations} evaluations`}
          </span>
        </div>
        <div className="stat">
          <span className="stat-label">vanilla, same steps</span>
          <span className="stat-value" data-testid="compute.vanilla" data-flops={c.vanilla}>
            {formatFlops(c.vanilla)}
          </span>
          <span className="stat-note">every module trained every step, no mNTK</span>
        </div>
        <div className={`stat ${saved.tone}`} data-testid="compute.saving">
          <span className="stat-label">{saved.label}</span>
          <span className="stat-value">{saved.value}</span>
          <span className="stat-note">{saved.caption}</span>
        </div>
        <div className="stat">
          <span className="stat-label">measured time</span>
          <span className="stat-value" data-testid="compute.ms">
            {formatMs(s.medianStepMs)}
            <small> /step</small>
          </span>
          <span className="stat-note">
            median wall-clock of recent steps{s.backend ? ` on ${s.backend.backend}` : ''}
            {s.view === 'imported'
              ? s.medianStepMs === null
                ? '; not recorded in this file'
                : '; as measured when the run was exported'
              : vanillaMs !== undefined
                ? `; vanilla measured here: ${formatMs(vanillaMs)}/step`
                : s.runConfig.policy !== 'vanilla'
                  ? '; run vanilla on this page to compare times'
                  : ''}
          </span>
        </div>
      </div>
      <CompareCompute compact={compact} />
      {compact ? null : split ? (
        <ComputeSplitView split={split} policy={policy} />
      ) : (
        <p className="note">
          {s.view === 'imported'
            ? 'FLOPs by part are not recorded in run files.'
            : 'FLOPs by part appear with the first steps.'}
        </p>
      )}
      {!compact && (
        <>
          <p className="note">
            A frozen module skips its weight gradients and its Adam update; the forward pass and the
            input gradients down to the lowest updated layer are paid either way, and the policy
            pays for its mNTK evaluations too.
          </p>
          <p className="note">
            FLOPs count the work the policy chose to do; the time shows what the backend made of it.
            Fewer FLOPs need not mean faster steps on a GPU that is bound by kernel launches.
          </p>
        </>
      )}
    </section>
  );
}
