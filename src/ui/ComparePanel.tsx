import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { getPolicy } from '../core/policies/registry';
import { runCurves } from '../store/run-list';
import { useLabStore } from '../store/store';
import { formatCount, formatFlops, formatMs, formatPercent, formatValue } from '../report/format';
import { metricAtEqualFlops } from './compare-text';

/**
 * Live A/B: where the two arms are (steps, which one waits for the other, each arm's measured
 * ms per step in lockstep) and their validation metric at equal FLOPs, in one sentence.
 */
export function ComparePanel() {
  const s = useLabStore(
    useShallow((st) => ({
      lockstep: st.lockstep,
      runB: st.compareRun,
      metrics: st.metrics,
      validation: st.validation,
      policy: st.runConfig.policy,
      metric: st.metric,
    })),
  );
  const { runB, lockstep } = s;
  const equal = useMemo(() => {
    if (!runB) return null;
    const a = runCurves({ metrics: s.metrics, validation: s.validation }).validation;
    return metricAtEqualFlops(a, runCurves(runB).validation);
  }, [runB, s.metrics, s.validation]);
  if (!runB || !lockstep) return null;
  const nameA = getPolicy(s.policy).label;
  const nameB = getPolicy(runB.runConfig.policy).label;
  const isAccuracy = s.metric.name === 'accuracy';
  const fmt = (v: number) => (isAccuracy ? formatPercent(v) : formatValue(v));
  const arms = [
    { label: `A · ${nameA}`, i: 0 as const },
    { label: `B · ${nameB}`, i: 1 as const },
  ];
  const waiting = lockstep.waiting === null ? null : arms[lockstep.waiting]!.label;
  return (
    <section className="card compare" data-testid="compare.panel" aria-labelledby="compare-title">
      <header className="card-head">
        <h2 id="compare-title">
          Live A/B: {nameA} vs {nameB}
        </h2>
        <p className="card-sub">
          Both runs share the seed, the data order, the initial weights and the probe batch. They
          train in chunks up to the next evaluation; the faster one waits for the other at each
          chunk&apos;s end, so they are never more than one chunk apart.
        </p>
      </header>
      <p className="compare-sentence" data-testid="compare.sentence">
        {equal
          ? `At ${formatFlops(equal.flops)}, ${nameA}'s validation ${s.metric.name} is ${fmt(equal.a)} vs ${nameB}'s ${fmt(equal.b)}${equal.interpolated ? ` (${equal.interpolated === 'a' ? nameA : nameB}'s interpolated)` : ''}.`
          : s.validation.step.length > 0 && runB.validation.step.length > 0
            ? `No FLOP count has a validation of both runs yet: one run's first validation came after all the FLOPs the other has spent (the mNTK evaluations are charged).`
            : `The validation ${s.metric.name} of both runs at equal FLOPs is stated after their first validations.`}
      </p>
      <div className="stats">
        {arms.map(({ label, i }) => (
          <div className="stat" key={i} data-testid={`compare.arm${i === 0 ? 'A' : 'B'}`}>
            <span className="stat-label">{label}</span>
            <span className="stat-value">
              {formatCount(lockstep.steps[i])}
              <small> steps</small>
            </span>
            <span className="stat-note">
              {formatMs(lockstep.msPerStep[i])}/step in lockstep; waited{' '}
              {formatMs(lockstep.waitedMs[i])} in all
            </span>
          </div>
        ))}
      </div>
      <p className="note" role="status" data-testid="compare.state">
        {lockstep.failed
          ? `Stopped: ${lockstep.failed}`
          : !lockstep.ready
            ? 'Waiting for both runs to be ready…'
            : lockstep.target !== null
              ? waiting
                ? `${waiting} waits at step ${formatCount(lockstep.target)} for the other run.`
                : `Both runs train to step ${formatCount(lockstep.target)}.`
              : lockstep.playing
                ? 'Training.'
                : `Both paused at step ${formatCount(Math.max(...lockstep.steps))}.`}
      </p>
    </section>
  );
}
