import { useMemo } from 'react';
import { Bar, BarChart, CartesianGrid, Line, LineChart, Tooltip, XAxis, YAxis } from 'recharts';
import { strideIndices } from '../store/metrics';
import { overrideModule, selectModule } from '../store/actions';
import { moduleLabel, REASON_WORDS } from '../store/selectors';
import { useLabFields } from '../store/store';
import { evaluationIndex, shownScrubStep } from '../store/scrub-slice';
import { formatValue } from '../report/format';
import type { DecisionReason } from '../core/types';
import { CHART_A11Y, chartMargin, kernelValueAxis, stepAxis, valueTooltip } from './chart-props';
import { staticLine } from './chart-line';
import { usePalette } from './theme';
import { useElementWidth } from './use-element-width';
import { Term } from './Term';
import { estimatorNote } from './estimator-note';

/** One module: its latest kernel spectrum, effective rank, λmax over time, and manual override. */
export function ModuleDrilldown() {
  const s = useLabFields(
    'selectedModule',
    'modules',
    'evaluations',
    'runConfig',
    'view',
    'modelView',
    'scrubStep',
  );
  // The scrub cursor's evaluation (issue 11); null: the newest, as before.
  const scrub = shownScrubStep(s.scrubStep, s.evaluations);
  const [ref, width] = useElementWidth<HTMLDivElement>(600);
  const row = s.modules.findIndex((m) => m.id === s.selectedModule);
  const module = s.modules[row];
  const latest = useMemo(() => {
    if (scrub !== null) return s.evaluations[evaluationIndex(s.evaluations, scrub)];
    for (let i = s.evaluations.length - 1; i >= 0; i--) {
      const e = s.evaluations[i];
      if (e?.spectra) return e;
    }
    return undefined;
  }, [s.evaluations, scrub]);
  const spectrum = useMemo(() => {
    if (!latest?.spectra || row < 0) return [];
    const n = latest.spectra.length / Math.max(1, s.modules.length);
    return Array.from(latest.spectra.subarray(row * n, (row + 1) * n), (v, i) => ({ i: i + 1, v }));
  }, [latest, row, s.modules.length]);
  const trajectory = useMemo(
    () =>
      row < 0
        ? []
        : strideIndices(s.evaluations.length, 500)
            .map((i) => ({
              step: s.evaluations[i]?.step ?? 0,
              v: s.evaluations[i]?.lambdaMax[row] ?? NaN,
            }))
            // The log axis shows positive values only.
            .filter((p) => p.v > 0),
    [s.evaluations, row],
  );
  if (!module) return null;
  const last = scrub !== null ? latest : s.evaluations[s.evaluations.length - 1];
  const reason = last?.reasons[row];
  const half = Math.max(260, Math.floor((width - 24) / 2));
  return (
    <section className="card drilldown" aria-labelledby="drill-title">
      <header className="card-head row">
        <h2 id="drill-title">
          {moduleLabel(module)}{' '}
          <span className="muted">
            ({module.id}, {module.params.toLocaleString('en-US')} parameters)
          </span>
        </h2>
        <label className="inline">
          <span className="visually-hidden">Module</span>
          <select value={module.id} onChange={(e) => selectModule(e.target.value)}>
            {s.modules.map((m) => (
              <option key={m.id} value={m.id}>
                {moduleLabel(m)}
              </option>
            ))}
          </select>
        </label>
        <button
          type="button"
          onClick={() => selectModule(null)}
          aria-label="Close the module details"
        >
          Close
        </button>
      </header>
      <dl className="readouts">
        <div>
          <dt>λmax</dt>
          <dd>
            {latest ? formatValue(latest.lambdaMax[row] ?? NaN) : '—'}
            {latest?.stdErr ? ` ± ${formatValue(latest.stdErr[row] ?? NaN, 2)}` : ''}{' '}
            <small className="estimator">
              {estimatorNote(latest?.stdErr ?? null, s.runConfig)}
            </small>
          </dd>
        </div>
        <div>
          <dt>
            <Term term="effRank">effective rank</Term>
          </dt>
          <dd>
            {latest ? formatValue(latest.effRank[row] ?? NaN, 3) : '—'}{' '}
            <small>of {s.runConfig.probe}</small>
          </dd>
        </div>
        {module.kind === 'expert' && s.modelView?.view.kind === 'router' && (
          <div>
            <dt>router load</dt>
            <dd>
              {s.modelView.view.load[module.id] ?? 0}{' '}
              <small>
                of {s.modelView.view.tokensPerLayer} tokens (capacity {s.modelView.view.capacity})
              </small>
            </dd>
          </div>
        )}
        <div>
          <dt>{scrub !== null ? `at step ${scrub}` : 'now'}</dt>
          <dd className="small">{reason ? REASON_WORDS[reason] : '—'}</dd>
        </div>
      </dl>
      {s.view === 'live' && <OverrideButtons id={module.id} reason={reason} />}
      {scrub !== null && latest && !latest.spectra && (
        <p className="note" data-testid="drill.no-spectrum">
          The spectrum at step {scrub} is not kept (the last 64 evaluations keep theirs); λmax, the
          effective rank and the decision are.
        </p>
      )}
      <div ref={ref} className="drill-charts">
        <SpectrumChart width={half} data={spectrum} step={latest?.step} />
        <TrajectoryChart width={half} data={trajectory} />
      </div>
    </section>
  );
}

/** Force a module on or off, or give it back to the policy. */
function OverrideButtons({ id, reason }: { id: string; reason: DecisionReason | undefined }) {
  return (
    <div className="inline" role="group" aria-label="Manual override">
      <span>Override:</span>
      {(['on', 'off'] as const).map((state) => (
        <button
          key={state}
          type="button"
          onClick={() => overrideModule(id, state)}
          aria-pressed={reason === `forced-${state}`}
        >
          {`Force ${state}`}
        </button>
      ))}
      <button type="button" onClick={() => overrideModule(id, null)}>
        Let the policy decide
      </button>
    </div>
  );
}

/** The latest kernel's eigenvalues, descending. */
function SpectrumChart(props: {
  width: number;
  data: { i: number; v: number }[];
  step: number | undefined;
}) {
  const { width, data, step } = props;
  const palette = usePalette();
  const top = data[0]?.v;
  return (
    <figure>
      <figcaption>
        Eigenvalues of Θ at step {step ?? '—'} (descending); effective rank = exp(−Σ p ln p), p =
        λ/Σλ
      </figcaption>
      <div
        role="img"
        aria-label={`Bar chart of ${data.length} eigenvalues${top !== undefined ? `, largest ${formatValue(top)}` : ''}`}
      >
        <BarChart width={width} height={200} data={data} margin={chartMargin(4)} {...CHART_A11Y}>
          <CartesianGrid stroke={palette.chartGrid} vertical={false} />
          <XAxis dataKey="i" tick={{ fontSize: 12 }} />
          <YAxis {...kernelValueAxis} />
          <Tooltip {...valueTooltip('λ', (i) => `λ${String(i)}`)} />
          <Bar dataKey="v" fill={palette.bar} isAnimationActive={false} />
        </BarChart>
      </div>
    </figure>
  );
}

/** λmax of the module at every evaluation (positive values). */
function TrajectoryChart({ width, data }: { width: number; data: { step: number; v: number }[] }) {
  const palette = usePalette();
  const last = data[data.length - 1];
  return (
    <figure>
      <figcaption>λmax over training (log scale)</figcaption>
      <div
        role="img"
        aria-label={`Line chart of λmax at ${data.length} evaluations${last ? `, ${formatValue(last.v)} at step ${last.step}` : ''}`}
      >
        <LineChart width={width} height={200} data={data} margin={chartMargin(4)} {...CHART_A11Y}>
          <CartesianGrid stroke={palette.chartGrid} />
          <XAxis {...stepAxis(12)} />
          <YAxis {...kernelValueAxis} scale="log" domain={['auto', 'auto']} allowDataOverflow />
          <Tooltip {...valueTooltip('λmax', (st) => `step ${String(st)}`)} />
          <Line
            dataKey="v"
            stroke={palette.trajectory}
            strokeWidth={2}
            dot={false}
            isAnimationActive={false}
            shape={staticLine}
          />
        </LineChart>
      </div>
    </figure>
  );
}
