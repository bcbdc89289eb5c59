/**
 * "Fork from here" (issue 11): a new run from the shown run's checkpoint at one of its
 * evaluations. The live run's checkpoints are the worker's (`init.fork`: it reads its own ring);
 * an imported run's are the file's (`init.resume` with the decoded checkpoint). Either way the
 * run on screen goes to the run list (`startRun` keeps it) and the fork's link is the parent's
 * experiment with the change log up to the step, plus `fork=<step>` and `parent=<id>`
 * (core/fork.ts): opening it replays the parent from scratch to the step, then the fork's own
 * changes, which is the fork exactly (README, "URL parameters").
 */
import { asFork, withForkParams } from '../core/fork';
import { shareableConfig, shareableSearch } from './url-state';
import { startFork, exportRun } from './actions';
import type { LabState } from './store';
import { useLabStore } from './store';
import type { RunFile } from '../core/runfile';

const get = useLabStore.getState;
const set = useLabStore.setState;

/** Why the shown run cannot be forked at `step`, in words; null when it can. */
export function forkProblem(s: LabState, step: number): string | null {
  if (s.phase !== 'ready') return 'The run is not ready yet.';
  // Arm B would start again from step 0 beside a fork at t (the lockstep needs both at one step).
  if (s.compare) return 'Forks are not available while two arms train side by side (compare=).';
  if (!s.checkpointSteps.includes(step)) {
    return s.checkpointSteps.length === 0
      ? s.view === 'imported'
        ? 'This run file has no checkpoints (export it "with checkpoints" to fork from it).'
        : 'No checkpoint yet: one is kept at every evaluation while the run trains.'
      : `No checkpoint is kept at step ${step} (kept: ${s.checkpointSteps.join(', ')}).`;
  }
  return null;
}

/**
 * Forks the shown run at evaluation step `step`; returns whether the fork was started (the
 * trainer answers `ready` when it stands at `step`).
 */
export function forkAt(step: number): boolean {
  const s = get();
  if (forkProblem(s, step) !== null) return false;
  // The parent's link as it stands (its experiment and logged changes), to name it.
  const parentSearch = shareableSearch(shareableConfig(s.runConfig, s.events), []);
  if (s.view === 'imported') {
    const c = s.fileCheckpoints?.find((x) => x.session.step === step);
    if (!c) return false;
    const fork = asFork(c);
    set((st) => ({ passThrough: withForkParams(st.passThrough, step, parentSearch) }));
    startFork(fork.config, { resume: fork });
    return true;
  }
  set((st) => ({ passThrough: withForkParams(st.passThrough, step, parentSearch) }));
  startFork({ ...s.runConfig, events: [] }, { fork: { step } });
  return true;
}

/** The live run as a run file with the worker's checkpoints (forks can start from them). */
export function exportWithCheckpoints(): Promise<RunFile> {
  return exportRun(120_000, { checkpoints: true });
}
