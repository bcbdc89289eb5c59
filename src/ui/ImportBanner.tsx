import { useEffect, useRef } from 'react';
import { familyOf } from '../core/families/descriptors';
import { backToLive } from '../store/actions';
import { useLabFields } from '../store/store';
import { formatCount } from '../report/format';

const VIEW_WORDS = {
  boundary: 'decision boundary',
  confusion: 'confusion matrix',
  router: 'router load',
} as const;

/**
 * What an imported run shows less than a live one, as sentences: the model view and the step
 * time, when the file does not record them (files written before they were).
 */
export function importGaps(model: string, hasView: boolean, medianStepMs: number | null): string[] {
  const gaps: string[] = [];
  const kind = familyOf(model)?.viewKind;
  if (kind && !hasView) {
    gaps.push(`This file does not record the ${VIEW_WORDS[kind]}, so it is not shown.`);
  }
  if (medianStepMs === null) gaps.push('This file does not record the time per step.');
  return gaps;
}

/**
 * Says that the charts show an imported file, read-only, and leads back to the live run. It
 * stays in view at the top of the window (the Import button may be far down the page) and takes
 * the focus when a file is opened, so keyboard and screen-reader users land on it.
 */
export function ImportBanner() {
  const s = useLabFields('view', 'importedName', 'step', 'runConfig', 'modelView', 'medianStepMs');
  const ref = useRef<HTMLDivElement>(null);
  const imported = s.view === 'imported';
  useEffect(() => {
    if (!imported) return;
    ref.current?.scrollIntoView({ block: 'start' });
    ref.current?.focus({ preventScroll: true });
  }, [imported, s.importedName]);
  if (!imported) return null;
  const gaps = importGaps(s.runConfig.model, s.modelView !== null, s.medianStepMs);
  return (
    <div
      className="import-banner"
      role="status"
      tabIndex={-1}
      ref={ref}
      data-testid="banner.import"
      aria-labelledby="import-banner-text"
    >
      <span id="import-banner-text">
        Viewing imported run <strong>{s.importedName}</strong> ({s.runConfig.policy}, seed{' '}
        {s.runConfig.seed}, {formatCount(s.step)} steps): read-only.
        {gaps.map((g) => (
          <span key={g} className="import-gap">
            {' '}
            {g}
          </span>
        ))}
      </span>
      <button type="button" className="primary" onClick={backToLive}>
        Back to the live run
      </button>
    </div>
  );
}
