import { useMemo } from 'react';
import { useLabFields } from '../store/store';
import { changeRows } from './change-log';

/**
 * Every slider move and manual override of the run, with the step it took effect and the old and
 * new value (the same changes are marked on the loss chart, heatmap and timeline), then the ones
 * the link holds for steps not reached yet.
 */
export function ChangeLog() {
  const s = useLabFields('events', 'runConfig', 'step', 'modules');
  const rows = useMemo(
    () => changeRows(s.events, s.runConfig.events, s.step, s.modules),
    [s.events, s.runConfig.events, s.step, s.modules],
  );
  return (
    <section
      className="panel change-log"
      data-testid="panel.changes"
      aria-labelledby="changes-title"
    >
      <h2 id="changes-title" className="panel-title">
        Changes
      </h2>
      {rows.length === 0 ? (
        <p className="note">
          None yet. Slider moves and Force on / off are listed here with their step, marked on the
          charts, and kept in the link.
        </p>
      ) : (
        <ol className="change-list">
          {rows.map((r) => (
            <li key={r.key} data-step={r.step} className={r.scheduled ? 'change-ahead' : undefined}>
              <span className="change-step">step {r.step}</span>{' '}
              <span className="change-what">{r.what}</span>{' '}
              {r.scheduled ? (
                <>
                  → {r.to} <span className="muted">(from the link, ahead)</span>
                </>
              ) : (
                <>
                  {r.from} → <b>{r.to}</b>
                </>
              )}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
