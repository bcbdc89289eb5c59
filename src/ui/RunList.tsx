import { useMemo } from 'react';
import { useShallow } from 'zustand/react/shallow';
import type { RunListRow } from '../export/csv';
import { runListCsv } from '../export/csv';
import { formatMetric } from '../report/markdown';
import { formatCount, formatFlops } from '../report/format';
import type { FieldDiff } from '../store/run-list';
import {
  LIVE_KEY,
  MAX_CURVE_POINTS,
  MAX_RUNS,
  removeRun,
  runDiff,
  runSummary,
  setOverlaid,
} from '../store/run-list';
import type { RunSource } from '../store/runs-slice';
import { useLabStore } from '../store/store';
import { downloadText } from './download';
import { ExportButtons } from './ExportButtons';
import { overlayColour, usePalette } from './theme';

const SOURCE_WORDS: Record<RunSource, string> = {
  session: 'this page',
  file: 'run file',
  report: 'report',
};

/** A row of the list: the run on screen, the live run behind an imported one, or a kept run. */
interface Row extends RunListRow {
  key: string;
  colour: string | null;
}

/** The fields a run differs in, as `field value (current)`, the first few shown. */
function Diff({ diff }: { diff: readonly FieldDiff[] }) {
  if (diff.length === 0) return <span className="diff">same experiment</span>;
  const shown = diff.slice(0, 5);
  const all = diff.map((d) => `${d.field}: ${d.value} (current ${d.current})`).join('; ');
  return (
    <span className="diff" title={all}>
      {shown.map((d, i) => (
        <span key={d.field}>
          {i > 0 && ', '}
          <code>{d.field}</code> {d.value} <span className="muted">(current {d.current})</span>
        </span>
      ))}
      {diff.length > shown.length && ` and ${diff.length - shown.length} more`}
    </span>
  );
}

/**
 * Every run of this page session — each live run once another replaced it, imported run files,
 * a loaded report's runs — with the fields it differs in from the run on screen, its final
 * validation metric and FLOPs; tick one to draw it over the loss chart.
 */
export function RunList() {
  const s = useLabStore(
    useShallow((st) => ({
      runs: st.runs,
      overlaid: st.overlaid,
      stash: st.stash,
      view: st.view,
      importedName: st.importedName,
      runConfig: st.runConfig,
      metrics: st.metrics,
      validation: st.validation,
      metric: st.metric,
    })),
  );
  const palette = usePalette();
  const rows = useMemo((): Row[] => {
    // Its steps from the metrics (the step counter changes every step; this redraws per push).
    const current = runSummary({ ...s, step: 0 });
    const out: Row[] = [
      {
        ...current,
        key: 'current',
        shown: 'current',
        source: s.view === 'imported' ? 'file' : 'session',
        origin: s.view === 'imported' ? s.importedName : null,
        diff: [],
        colour: null,
      },
    ];
    if (s.stash) {
      out.push({
        ...runSummary(s.stash),
        key: LIVE_KEY,
        shown: 'live',
        source: 'session',
        origin: null,
        diff: runDiff(s.stash.runConfig, s.runConfig),
        colour: palette.text,
      });
    }
    for (const r of [...s.runs].reverse()) {
      out.push({
        ...r,
        key: r.id,
        shown: 'kept',
        diff: runDiff(r.config, s.runConfig),
        colour: overlayColour(palette, r.seq),
      });
    }
    return out;
  }, [s, palette]);

  const exports = [
    {
      label: 'CSV',
      name: 'Download the run list as CSV',
      testId: 'export.runs.csv',
      run: () => downloadText('mat-lab-runs.csv', runListCsv(rows), 'text/csv'),
    },
  ];

  return (
    <section className="card run-list" data-testid="panel.runs" aria-labelledby="runs-title">
      <header className="card-head row">
        <h2 id="runs-title">Runs of this session</h2>
        <ExportButtons label="Export the run list" items={exports} />
      </header>
      <p className="card-sub">
        Each run is kept here when another replaces it, and so are imported run files and a loaded
        report&apos;s runs (the latest {MAX_RUNS}, each curve cut to {formatCount(MAX_CURVE_POINTS)}{' '}
        points; runs drawn on the chart are kept longest). Tick a run to draw its loss and
        validation {s.metric.name} over the loss chart. Differences are to the run on screen.
      </p>
      <table className="module-table" data-testid="runs.table">
        <thead>
          <tr>
            <th scope="col">draw</th>
            <th scope="col">run</th>
            <th scope="col">differs in</th>
            <th scope="col">final validation</th>
            <th scope="col">FLOPs</th>
            <th scope="col">
              <span className="visually-hidden">actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => {
            const drawn = r.shown === 'current' || s.overlaid.includes(r.key);
            return (
              <tr key={r.key} data-run={r.key} data-shown={r.shown}>
                <td>
                  {r.shown === 'current' ? (
                    <span className="muted">on screen</span>
                  ) : (
                    <label>
                      <input
                        type="checkbox"
                        checked={drawn}
                        data-testid={`runs.draw.${r.key}`}
                        aria-label={`Draw ${r.name} over the loss chart`}
                        onChange={(e) => setOverlaid(r.key, e.currentTarget.checked)}
                      />
                      {r.colour && (
                        <span className="key" style={{ color: r.colour }} aria-hidden="true" />
                      )}
                    </label>
                  )}
                </td>
                <td>
                  <strong>{r.name}</strong>
                  <br />
                  <small className="muted">
                    {r.shown === 'live'
                      ? 'the live run, behind the imported one'
                      : SOURCE_WORDS[r.source as RunSource]}
                    {r.origin ? `: ${r.origin}` : ''} · {formatCount(r.steps)} steps
                    {r.presetChanged.length > 0 &&
                      ` · * ${r.preset} with ${r.presetChanged.join(', ')} changed`}
                  </small>
                </td>
                <td>
                  {r.shown === 'current' ? <span className="diff">—</span> : <Diff diff={r.diff} />}
                </td>
                <td>
                  {r.finalMetric === null
                    ? '—'
                    : `${formatMetric(r.finalMetric, r.metric.name)} ${r.metric.name}`}
                  {r.finalStep !== null && (
                    <small className="muted"> at {formatCount(r.finalStep)}</small>
                  )}
                </td>
                <td>{r.totalFlops === null ? '—' : formatFlops(r.totalFlops)}</td>
                <td>
                  {r.shown === 'kept' && (
                    <button
                      type="button"
                      className="small"
                      aria-label={`Forget ${r.name}`}
                      onClick={() => removeRun(r.key)}
                    >
                      Forget
                    </button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}
