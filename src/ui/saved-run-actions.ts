/** What the saved-runs list and the resume banner do with a saved run beyond resuming it. */
import { exportRun, reportError, resumeSavedRun } from '../store/actions';
import { downloadText, runFileName } from './download';

/**
 * Downloads saved run `id` as a run file: restored (paused) as the live run, then exported, since
 * a run file holds the kernels at its weights, computed by the trainer. This is how a run whose
 * worker crashed or whose GPU device was lost is exported: from its last save.
 */
export async function exportSavedRun(id: string): Promise<void> {
  try {
    if (!(await resumeSavedRun(id, false))) return;
    const run = await exportRun();
    downloadText(runFileName(run.config.seed, run.step), JSON.stringify(run));
  } catch (e) {
    reportError(
      'export',
      `The saved run could not be exported: ${e instanceof Error ? e.message : String(e)}.`,
    );
  }
}
