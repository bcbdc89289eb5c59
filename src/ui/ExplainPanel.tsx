import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { explainMat, matRules, READING_CAVEAT } from '../core/policies/explain';
import { matNumbers } from '../core/policies/mat';
import type { PolicyParams } from '../core/policies/types';
import { useLabStore } from '../store/store';
import { formatValue } from './format';
import { freezeSchedule } from '../core/policies/progressive';
import { KernelText } from './KernelText';
import { moduleWords } from './model-words';

/** "How MAT decides": the rules in words and formulas, with the numbers of the latest evaluation. */
export function ExplainPanel() {
  const s = useLabStore(
    useShallow((st) => ({
      cfg: st.runConfig,
      live: st.live,
      step: st.step,
      modules: st.modules,
      evaluations: st.evaluations,
      probe: st.probeOutputs,
    })),
  );
  const { cfg } = s;
  const words = moduleWords(cfg.model);
  const params: PolicyParams = useMemo(
    () => ({
      alpha: s.live.alpha,
      beta: s.live.beta,
      warmup: cfg.warmup,
      window: cfg.window,
      ref: cfg.ref,
      stop: cfg.stop,
      progSpan: cfg.progSpan,
    }),
    [s.live.alpha, s.live.beta, cfg.warmup, cfg.window, cfg.ref, cfg.stop, cfg.progSpan],
  );
  const explanation = useMemo(() => {
    const last = s.evaluations[s.evaluations.length - 1];
    if (!last) return null;
    const numbers = matNumbers(s.modules, s.evaluations, params);
    return explainMat({
      params,
      step: last.step,
      refs: numbers.refs,
      modules: s.modules.map((m, i) => {
        const reason = last.reasons[i];
        return {
          id: m.id,
          kind: m.kind,
          lambdaMax: numbers.modules[i]?.lambdaMax ?? NaN,
          relChange: numbers.modules[i]?.relChange ?? null,
          ...(reason ? { decision: { updating: last.updating[i] === 1, reason } } : {}),
        };
      }),
    });
  }, [s.evaluations, s.modules, params]);

  return (
    <section className="card explain" aria-labelledby="explain-title">
      <header className="card-head">
        <h2 id="explain-title">How MAT decides</h2>
      </header>
      <p className="caveat">{READING_CAVEAT}</p>
      {cfg.policy === 'vanilla' && (
        <p>
          <strong>This run is vanilla:</strong> every {words.one} trains every step. λmax is still computed so you can watch it,
          and its cost is not charged to vanilla. The rules below are what MAT would apply.
        </p>
      )}
      {cfg.policy === 'random' && (
        <p>
          <strong>This run is the random control:</strong> at each evaluation it trains, per kind, as many {words.many} as
          the rules below would, picked uniformly at random with the run&apos;s seed. It tests whether λmax picks the right ones.
        </p>
      )}
      {cfg.policy === 'progressive' && (
        <p>
          <strong>This run is progressive freezing</strong> (FreezeOut-style baseline): after the warm-up, layers freeze in
          depth order on a fixed schedule that ignores λmax:{' '}
          {freezeSchedule(s.modules, params)
            .map((f) => `layer ${f.layer} at step ${f.step}`)
            .join(', ') || 'the schedule appears when the model is ready'}
          . λmax is shown for reference and not charged. The rules below are what MAT would apply.
        </p>
      )}
      <KernelText cfg={cfg} probe={s.probe} />
      <ol className="rules">
        {(explanation?.rules ?? matRules(params)).map((r) => (
          <li key={r.title}>
            <strong>{r.title}.</strong> {r.words}
            <code className="formula">{r.formula}</code>
          </li>
        ))}
      </ol>
      {!explanation && <p className="muted">The current numbers (ref, threshold, each module&apos;s verdict) appear after the first evaluation.</p>}
      {explanation && (
        <>
          <h3>At the latest evaluation (step {s.evaluations[s.evaluations.length - 1]?.step})</h3>
          {explanation.inWarmup && <p>Still in the warm-up: every head trains; the numbers below are not applied yet.</p>}
          <ul>
            {explanation.kinds.map((k) => (
              <li key={k.kind}>
                {k.line.words} <code className="formula">{k.line.formula}</code>
              </li>
            ))}
          </ul>
          <details>
            <summary>Every module</summary>
            <table className="module-table">
              <thead>
                <tr>
                  <th scope="col">module</th>
                  <th scope="col">decision</th>
                  <th scope="col">numbers</th>
                </tr>
              </thead>
              <tbody>
                {explanation.modules.map((m) => (
                  <tr key={m.id}>
                    <th scope="row">{m.id}</th>
                    <td>{m.line.words}</td>
                    <td>
                      <code>{m.line.formula}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </details>
          <p className="note">
            α = {formatValue(params.alpha)}, β = {formatValue(params.beta)} are the values in force in the trainer.
          </p>
        </>
      )}
    </section>
  );
}
