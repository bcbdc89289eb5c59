import { useShallow } from 'zustand/react/shallow';
import type { ModelView } from '../core/families/types';
import { useLabStore } from '../store/store';
import { shownScrubStep } from '../store/scrub-slice';
import { BoundaryView } from './BoundaryView';
import { NetworkDiagram } from './NetworkDiagram';
import { formatPercent } from '../report/format';
import { confusionCellColours } from './confusion';
import { usePalette } from './theme';

function Confusion({ view }: { view: Extract<ModelView, { kind: 'confusion' }> }) {
  const palette = usePalette();
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
                  return (
                    <td
                      key={p}
                      style={confusionCellColours(share, t === p, palette.card, palette.text)}
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
  // Experts grouped by layer: each layer routes the same n·T tokens.
  const modules = useLabStore((s) => s.modules);
  const layers = new Map<number, [string, number][]>();
  for (const m of modules) {
    const v = view.load[m.id];
    if (m.kind === 'expert' && v !== undefined)
      layers.set(m.layer, [...(layers.get(m.layer) ?? []), [m.id, v]]);
  }
  const perLayer = [...layers.values()][0]?.length ?? 1;
  return (
    <div>
      <p>
        Tokens of the probe batch ({view.tokensPerLayer} per layer) routed to each expert; an even
        split gives each {formatPercent(1 / Math.max(1, perLayer))}. An expert takes at most{' '}
        {view.capacity} tokens (capacity); the rest are dropped and skip the expert layer.
      </p>
      <p className="note" data-testid="router.coupling">
        Capacity drops couple samples: whether a token is dropped depends on the other tokens of the
        batch, so each kernel is computed with the probe batch routed once, as a whole, and that
        routing held fixed.
      </p>
      {[...layers.entries()].map(([layer, entries]) => {
        const routed = entries.reduce((a, [, v]) => a + v, 0);
        const dropped = view.tokensPerLayer - routed;
        return (
          <div key={layer} className="router-layer">
            <h3>
              Layer {layer} · {dropped} dropped (
              {formatPercent(view.tokensPerLayer > 0 ? dropped / view.tokensPerLayer : NaN)})
            </h3>
            <ul className="router-bars">
              {entries.map(([id, v]) => (
                <li key={id}>
                  <span className="router-id">{id}</span>
                  <span
                    className="router-bar"
                    style={{ width: `${(v / Math.max(1, view.capacity)) * 100}%` }}
                  />
                  <span className="router-value">
                    {v} ({formatPercent(view.tokensPerLayer > 0 ? v / view.tokensPerLayer : NaN)})
                  </span>
                </li>
              ))}
            </ul>
          </div>
        );
      })}
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
  const { modelView, scrub } = useLabStore(
    useShallow((s) => ({
      modelView: s.modelView,
      scrub: shownScrubStep(s.scrubStep, s.evaluations),
    })),
  );
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
        {scrub !== null && scrub !== step && (
          // Views are not kept per evaluation (each is a full picture of the model): said plainly.
          <p className="note" data-testid="view.scrub-note">
            The view at step {scrub} (the scrubbed evaluation) is not kept; this is the latest, at
            step {step}.
          </p>
        )}
      </header>
      {view.kind === 'boundary' && (
        <div className="boundary-row">
          <BoundaryView view={view} />
          <NetworkDiagram classes={view.classes} />
        </div>
      )}
      {view.kind === 'confusion' && <Confusion view={view} />}
      {view.kind === 'router' && <Router view={view} />}
    </section>
  );
}
