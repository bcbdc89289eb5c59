import { useMemo, useState } from 'react';
import type { DragEvent } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { meanTarget } from '../report/analyse';
import { formatMetric, POLICY_LABELS } from '../report/markdown';
import type { Report } from '../report/schema';
import { MAX_REPORT_BYTES, parseReport } from '../report/schema';
import { findPreset } from '../core/presets';
import { applyPreset } from '../store/actions';
import { keepReportRuns } from '../store/run-list';
import { useLabStore } from '../store/store';
import { formatFlops, formatPercent } from '../report/format';
import { JsonFileButton } from './JsonFileButton';
import { ReportChart } from './ReportChart';
import { configDifferences, labCurve, reportSeries } from './report-view';

/**
 * Loads a report of `npm run reproduce` (report.json, by file picker or drag and drop) and draws
 * its validation metric against cumulative FLOPs per policy, with the lab's own run on the same
 * axes when it trains the report's preset. A bad file leaves the loaded report in place.
 */
export function ReportPanel() {
  const [loaded, setLoaded] = useState<{ report: Report; name: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [dragging, setDragging] = useState(false);
  const lab = useLabStore(
    useShallow((s) => ({ config: s.runConfig, metrics: s.metrics, validation: s.validation })),
  );

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    try {
      if (file.size > MAX_REPORT_BYTES) {
        throw new Error(
          `${file.name} is ${Math.round(file.size / 2 ** 20)} MB; a report is at most ${MAX_REPORT_BYTES / 2 ** 20} MB.`,
        );
      }
      const report = parseReport(await file.text());
      setLoaded({ report, name: file.name });
      // Its runs join the run list, to draw over the loss chart.
      keepReportRuns(report, file.name);
      setError(null);
    } catch (e) {
      const why = e instanceof Error ? e.message : String(e);
      setError(
        `${file.name} was not loaded. ${why}${loaded ? ` Still showing ${loaded.name}.` : ''}`,
      );
    }
  };

  const onDrop = (e: DragEvent<HTMLElement>) => {
    e.preventDefault();
    setDragging(false);
    void onFile(e.dataTransfer.files[0]);
  };

  const report = loaded?.report ?? null;
  const differences = useMemo(
    () => (report ? configDifferences(report, lab.config) : []),
    [report, lab.config],
  );
  const labRun = useMemo(
    () =>
      report && differences.length === 0
        ? { curve: labCurve(lab.metrics, lab.validation), policy: lab.config.policy }
        : null,
    [report, differences, lab.metrics, lab.validation, lab.config.policy],
  );
  const series = useMemo(() => (report ? reportSeries(report, labRun) : []), [report, labRun]);
  const isAccuracy = report?.metric.name === 'accuracy';
  const target = report ? meanTarget(report) : NaN;
  const fmt = (v: number) => (report ? formatMetric(v, report.metric.name) : String(v));

  return (
    <section
      className="card report"
      data-testid="panel.report"
      aria-labelledby="report-title"
      onDragOver={(e) => {
        e.preventDefault();
        setDragging(true);
      }}
      onDragLeave={() => setDragging(false)}
      onDrop={onDrop}
      style={dragging ? { outline: '2px dashed #1d4ed8', outlineOffset: 2 } : undefined}
    >
      <header className="card-head row">
        <h2 id="report-title">Reproduction report</h2>
        <JsonFileButton
          label="Load report…"
          inputLabel="Load a reproduction report (report.json)"
          testId="report.file"
          onFile={onFile}
        />
      </header>
      <p className="card-sub">
        Load a <code>report.json</code> written by <code>npm run reproduce</code> (or drop it here)
        to compare vanilla, MAT, random matched-budget and progressive freezing: validation metric
        against cumulative FLOPs, mNTK evaluations included.
      </p>
      {error && (
        <p
          className="note"
          role="alert"
          data-testid="report.error"
          style={{ color: '#b91c1c', fontWeight: 600 }}
        >
          {error}
        </p>
      )}
      {report && (
        <>
          <p className="note" data-testid="report.summary">
            <strong>{report.preset.label}</strong> ({report.preset.id}): {report.budget.steps} steps
            × {report.budget.seeds.length} seed{report.budget.seeds.length > 1 ? 's' : ''} on{' '}
            {report.environment.backend}, {report.createdAt.slice(0, 10)}
            {report.quick ? ' (quick run: structure only)' : ''}. Lines: validation{' '}
            {report.metric.name} smoothed by a trailing mean of {report.budget.smoothing.window}{' '}
            validations, averaged over seeds; dashed grey: V* = {fmt(target)}.{' '}
            {report.claim && (
              <strong>
                {report.claim.reproduced ? 'The claim reproduced.' : 'The claim did not reproduce.'}
              </strong>
            )}
          </p>
          <p className="note" data-testid="report.lab">
            {differences.length === 0
              ? `This lab run trains the same model and data: its validation points are drawn in black (raw values).`
              : `This lab run differs from the report's preset in ${differences.join(', ')}, so it is not drawn on these axes.`}
            {differences.length > 0 &&
              (findPreset(report.preset.id) ? (
                <>
                  {' '}
                  <button
                    type="button"
                    className="link-button"
                    data-testid="report.open-preset"
                    onClick={() => applyPreset(report.preset.id)}
                  >
                    Open the {report.preset.id} preset
                  </button>{' '}
                  to compare (restarts the run).
                </>
              ) : (
                ` This lab has no preset ${report.preset.id} to open.`
              ))}
          </p>
          <ReportChart series={series} accuracy={isAccuracy} target={target} />
          <table className="module-table" data-testid="report.table">
            <thead>
              <tr>
                <th>policy</th>
                <th>final {report.metric.name}</th>
                <th>reached V*</th>
                <th>FLOPs to V*</th>
                <th>saving to V*</th>
                <th>total FLOPs vs vanilla</th>
              </tr>
            </thead>
            <tbody>
              {report.summary.map((s) => (
                <tr key={s.policy} data-policy={s.policy}>
                  <td>{POLICY_LABELS[s.policy]}</td>
                  <td>{fmt(s.finalSmoothed.mean)}</td>
                  <td>
                    {s.reached}/{s.seeds}
                  </td>
                  <td>{s.flopsToTarget ? formatFlops(s.flopsToTarget.mean) : 'not reached'}</td>
                  <td>
                    {s.policy === 'vanilla' || !s.ratioToVanilla
                      ? '—'
                      : formatPercent(1 - s.ratioToVanilla.mean)}
                  </td>
                  <td>{formatPercent(s.totalRatio.mean)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </section>
  );
}
