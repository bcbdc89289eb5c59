import { useId, useState } from 'react';
import { useLabFields, useLabStore } from '../store/store';
import { evaluationIndex, shownScrubStep } from '../store/scrub-slice';
import { exportWithCheckpoints, forkAt, forkProblem } from '../store/fork';
import { reportError } from '../store/actions';
import { downloadText, runFileName } from './download';

/**
 * Scrub and fork (issue 11): a step slider over the shown run's evaluations (live or imported)
 * that moves the heatmap's, timeline's, drill-down's and model view's cursor; "Fork from here"
 * starts a new run from the checkpoint at that evaluation; "Export with checkpoints" writes the
 * run file with them, so an import can be forked too.
 */
export function ScrubBar() {
  const s = useLabFields(
    'evaluations',
    'scrubStep',
    'checkpointSteps',
    'view',
    'phase',
    'runConfig',
    'passThrough',
  );
  const id = useId();
  const [busy, setBusy] = useState(false);
  const n = s.evaluations.length;
  const cursor = shownScrubStep(s.scrubStep, s.evaluations);
  const index = cursor === null ? n - 1 : evaluationIndex(s.evaluations, cursor);
  const step = s.evaluations[index]?.step ?? null;
  const problem = step === null ? 'No evaluation yet.' : forkProblem(useLabStore.getState(), step);
  const forkOf = s.passThrough.findLast(([k]) => k === 'fork')?.[1];
  const parent = s.passThrough.findLast(([k]) => k === 'parent')?.[1];
  const setIndex = (i: number) => {
    const e = s.evaluations[i];
    // The newest evaluation: follow the run again.
    useLabStore.setState({ scrubStep: !e || i >= n - 1 ? null : e.step });
  };
  const doExport = async () => {
    setBusy(true);
    try {
      const run = await exportWithCheckpoints();
      downloadText(runFileName(run.config.seed, run.step), JSON.stringify(run));
    } catch (e) {
      reportError(
        'export',
        `The run could not be exported with checkpoints: ${e instanceof Error ? e.message : String(e)}.`,
      );
    } finally {
      setBusy(false);
    }
  };
  return (
    <section className="card scrub-bar" aria-labelledby={`${id}-title`} data-testid="scrub.bar">
      <h2 id={`${id}-title`} className="visually-hidden">
        Scrub and fork
      </h2>
      <div className="scrub-row">
        <label htmlFor={`${id}-range`} className="scrub-label">
          Evaluation
        </label>
        <input
          id={`${id}-range`}
          type="range"
          data-testid="scrub.slider"
          min={0}
          max={Math.max(0, n - 1)}
          step={1}
          value={Math.max(0, index)}
          disabled={n < 2}
          aria-valuetext={
            step === null
              ? 'no evaluation yet'
              : `step ${step}${cursor === null ? ', following the newest' : ''}`
          }
          onChange={(e) => setIndex(Number(e.target.value))}
        />
        <output htmlFor={`${id}-range`} data-testid="scrub.step" data-step={step ?? ''}>
          {step === null
            ? 'no evaluation yet'
            : cursor === null
              ? `step ${step} (newest)`
              : `step ${step} (${index + 1} of ${n})`}
        </output>
        <button
          type="button"
          data-testid="scrub.follow"
          disabled={cursor === null}
          onClick={() => useLabStore.setState({ scrubStep: null })}
        >
          Newest
        </button>
        <button
          type="button"
          data-testid="scrub.fork"
          disabled={problem !== null}
          title={
            problem ??
            `A new run from the checkpoint at step ${step}; this run goes to the run list.`
          }
          onClick={() => step !== null && forkAt(step)}
        >
          Fork from here
        </button>
        {s.view === 'live' && (
          <button
            type="button"
            data-testid="scrub.export"
            disabled={busy || s.phase !== 'ready' || s.checkpointSteps.length === 0}
            onClick={() => void doExport()}
            title="The run file with the checkpoints kept at evaluations, so an import can be forked."
          >
            {busy ? 'Exporting…' : 'Export with checkpoints'}
          </button>
        )}
      </div>
      <p className="note" data-testid="scrub.note">
        {problem !== null && step !== null ? `${problem} ` : ''}
        Checkpoints kept: {s.checkpointSteps.length === 0 ? 'none' : s.checkpointSteps.join(', ')}.
        {forkOf !== undefined &&
          ` This run is a fork from step ${forkOf}${parent ? ` of run ${parent}` : ''}.`}
      </p>
    </section>
  );
}
