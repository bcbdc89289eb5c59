import { useShallow } from 'zustand/react/shallow';
import type { ModelView } from '../core/tasks/types';
import { useLabStore } from '../store/store';
import { BoundaryView } from './BoundaryView';
import { formatPercent } from './format';

function Confusion({ view }: { view: Extract<ModelView, { kind: 'confusion' }> }) {
  const k = view.classes.length;
  const at = (t: number, p: number) => view.matrix[t * k + p] ?? 0;
  let total = 0;
  let right = 0;
  for (let t = 0; t < k; t++)
    for (let p = 0; p < k; p++) {
      total += at(t, p);
      if (t === p) right += at(t, p);
    }
  return (
    <div className="confusion-wrap">
      <p>
        Accuracy on the validation images:{' '}
        <strong>{formatPercent(total > 0 ? right / total : NaN)}</strong> ({right} of {total}).
        Rows: true class; columns: predicted. Shading: share of the row.
      </p>
      <table className="confusion">
        <thead>
          <tr>
            <th scope="col">true \ predicted</th>
            {view.classes.map((c) => (
              <th key={c} scope="col">
                {c}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {view.classes.map((c, t) => {
            let row = 0;
            for (let p = 0; p < k; p++) row += at(t, p);
            return (
              <tr key={c}>
                <th scope="row">{c}</th>
                {view.classes.map((_, p) => {
                  const share = row > 0 ? at(t, p) / row : 0;
                  const hue = t === p ? '29 100 242' : '200 30 30';
                  return (
                    <td
                      key={p}
                      style={{
                        background: `rgb(${hue} / ${(share * 0.75).toFixed(3)})`,
                        color: share > 0.55 ? '#fff' : undefined,
                      }}
                    >
                      {at(t, p)}
                    </td>
                  );
                })}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function Router({ view }: { view: Extract<ModelView, { kind: 'router' }> }) {
  const entries = Object.entries(view.load);
  const total = entries.reduce((s, [, v]) => s + v, 0);
  const max = Math.max(1, ...entries.map(([, v]) => v));
  return (
    <div>
      <p>
        Tokens of the probe batch routed to each expert (an even split would give each{' '}
        {formatPercent(1 / Math.max(1, entries.length))}).
      </p>
      <ul className="router-bars">
        {entries.map(([id, v]) => (
          <li key={id}>
            <span className="router-id">{id}</span>
            <span className="router-bar" style={{ width: `${(v / max) * 100}%` }} />
            <span className="router-value">
              {v} ({formatPercent(total > 0 ? v / total : NaN)})
            </span>
          </li>
        ))}
      </ul>
    </div>
  );
}

const TITLES: Record<ModelView['kind'], string> = {
  boundary: 'Decision boundary',
  confusion: 'Confusion matrix',
  router: 'Router load',
};

/** The model-specific view pushed by the trainer, when the model has one. */
export function ModelViewPanel() {
  const { modelView } = useLabStore(useShallow((s) => ({ modelView: s.modelView })));
  if (!modelView) return null;
  const { view, step } = modelView;
  return (
    <section
      className="card"
      aria-labelledby="model-view-title"
      data-testid="view.model"
      data-kind={view.kind}
    >
      <header className="card-head">
        <h2 id="model-view-title">{TITLES[view.kind]}</h2>
        <p className="card-sub">At step {step}.</p>
      </header>
      {view.kind === 'boundary' && <BoundaryView view={view} />}
      {view.kind === 'confusion' && <Confusion view={view} />}
      {view.kind === 'router' && <Router view={view} />}
    </section>
  );
}
