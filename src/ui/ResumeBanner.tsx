import { dismissResumeOffer } from '../store/autosave';
import { resumeSavedRun } from '../store/actions';
import { useLabStore } from '../store/store';
import { formatCount } from '../report/format';
import { exportSavedRun } from './saved-run-actions';

const WHY = {
  link: 'This link’s run was saved',
  'worker-crashed': 'The training worker crashed. The run was last saved',
  'device-lost': 'The GPU device was lost. The run was last saved',
} as const;

/**
 * "Resume at step S": offered when the page opens the link of a saved run, and when the live
 * run's worker crashes or its GPU device is lost (its last save). Resuming restores the save in a
 * (new) worker and trains on exactly as the run would have; after a crash the save can also be
 * exported.
 */
export function ResumeBanner() {
  const offer = useLabStore((s) => s.resumeOffer);
  if (!offer) return null;
  const stopped = offer.reason !== 'link';
  const when = new Date(offer.savedAt).toLocaleString();
  return (
    <div className="resume-banner" role="status" data-testid="banner.resume">
      <span>
        {WHY[offer.reason]} at step <strong>{formatCount(offer.step)}</strong> ({offer.name}, {when}
        ).{' '}
        {stopped
          ? 'Resume goes on from there in a new run, exactly as it would have.'
          : 'Resume goes on from there exactly as it would have; the run shown now starts at step 0.'}
      </span>
      <span className="inline wrap">
        <button
          type="button"
          className="primary"
          data-testid="resume.button"
          onClick={() => void resumeSavedRun(offer.id)}
        >
          Resume at step {formatCount(offer.step)}
        </button>
        {stopped && (
          <button type="button" onClick={() => void exportSavedRun(offer.id)}>
            Export the saved run
          </button>
        )}
        <button type="button" onClick={dismissResumeOffer}>
          {stopped ? 'Dismiss' : 'Start over'}
        </button>
      </span>
    </div>
  );
}
