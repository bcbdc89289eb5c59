import { useMemo } from 'react';
import { explainMat, matRules, READING_CAVEAT } from '../core/policies/explain';
import { matNumbers } from '../core/policies/mat';
import { getPolicy } from '../core/policies/registry';
import type { PolicyParams } from '../core/policies/types';
import { policyParams } from '../core/policies/types';
import { useLabFields } from '../store/store';
import { formatValue } from '../report/format';
import { KernelText } from './KernelText';
import { moduleWords } from './model-words';
import { EXPLAIN_ID } from './terms';

/** "How MAT decides": the rules in words and formulas, with the numbers of the latest evaluation. */
export function ExplainPanel() {
  // Not the step counter: it changes every step, and nothing here reads it.
  const s = useLabFields('runConfig', 'live', 'modules', 'evaluations', 'probeOutputs');
  const cfg = s.runConfig;
  const words = moduleWords(cfg.model, cfg.modules, cfg.fc);
  // The run's params with α and β as in force in the trainer.
  const params: PolicyParams = useMemo(
    () => ({ ...policyParams(cfg), alpha: s.live.alpha, beta: s.live.beta }),
    [cfg, s.live.alpha, s.live.beta],
  );
  const note = getPolicy(cfg.policy).explainNote?.({
    one: words.one,
    many: words.many,
    modules: s.modules,
    params,
  });
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
    <section
      className="card explain"
      id={EXPLAIN_ID}
      tabIndex={-1}
      data-testid="panel.explain"
      aria-labelledby="explain-title"
    >
      <header className="card-head">
        <h2 id="explain-title">How MAT decides</h2>
      </header>
      <p className="caveat">{READING_CAVEAT}</p>
      {note && (
        <p>
          <strong>{note.lead}</strong> {note.text}
        </p>
      )}
      <KernelText cfg={cfg} probe={s.probeOutputs} />
      <ol className="rules">
        {(
          explanation?.rules ??
          matRules(
            params,
            s.modules.map((m) => m.kind),
          )
        ).map((r) => (
          <li key={r.title}>
            <strong>{r.title}.</strong> {r.words}
            <code className="formula">{r.formula}</code>
          </li>
        ))}
      </ol>
      {!explanation && (
        <p className="muted">
          The current numbers (ref, threshold, each module&apos;s verdict) appear after the first
          evaluation.
        </p>
      )}
      {explanation && (
        <>
          <h3>At the latest evaluation (step {s.evaluations[s.evaluations.length - 1]?.step})</h3>
          {explanation.inWarmup && (
            <p>
              Still in the warm-up: every {words.one} trains; the numbers below are not applied yet.
            </p>
          )}
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
            α = {formatValue(params.alpha)}, β = {formatValue(params.beta)} are the values in force
            in the trainer.
          </p>
        </>
      )}
    </section>
  );
}
