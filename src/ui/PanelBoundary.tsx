import { useState } from 'react';
import type { ReactNode } from 'react';
import { ErrorBoundary } from 'react-error-boundary';
import type { FallbackProps } from 'react-error-boundary';
import { exportRun, reset } from '../store/actions';
import { useLabStore } from '../store/store';
import { downloadText, runFileName } from './download';
import { mendPanel, usePanelBroken } from './panel-fault';

/** Throws while the lab hook has broken this panel (tests of the boundary). */
function FaultTrap({ name }: { name: string }) {
  if (usePanelBroken(name)) throw new Error(`the ${name} panel was made to fail (test hook)`);
  return null;
}

/** What a panel that failed to draw shows instead: what failed, and two ways on. */
function PanelError({ name, error, resetErrorBoundary }: FallbackProps & { name: string }) {
  const canExport = useLabStore((s) => s.phase === 'ready' && s.link !== null);
  const [note, setNote] = useState<string | null>(null);
  const message = error instanceof Error ? error.message : String(error);
  const exportWhatYouHave = async () => {
    setNote('Exporting…');
    try {
      const run = await exportRun();
      downloadText(runFileName(run.config.seed, run.step), JSON.stringify(run));
      setNote(`Exported step ${run.step}.`);
    } catch (e) {
      setNote(`The run could not be exported: ${e instanceof Error ? e.message : String(e)}.`);
    }
  };
  return (
    <section className="panel panel-error" role="alert" data-testid={`panel-error.${name}`}>
      <p>
        <strong>The {name} panel could not be drawn</strong>: {message.slice(0, 300)}. The rest of
        the page still works.
      </p>
      <div className="inline wrap">
        <button type="button" onClick={() => void exportWhatYouHave()} disabled={!canExport}>
          Export what you have
        </button>
        <button
          type="button"
          onClick={() => {
            mendPanel(name);
            reset();
            resetErrorBoundary();
          }}
        >
          Reset
        </button>
      </div>
      {note !== null && <p className="muted">{note}</p>}
    </section>
  );
}

/**
 * An error boundary around one panel: a render error there shows what failed, with "Export what
 * you have" and "Reset", in place of that panel only, never a blank page. It draws the panel
 * again when another run (or another imported file) is shown.
 */
export function PanelBoundary({ name, children }: { name: string; children: ReactNode }) {
  const view = useLabStore((s) => s.view);
  const imported = useLabStore((s) => s.importedName);
  const runConfig = useLabStore((s) => s.runConfig);
  return (
    <ErrorBoundary
      resetKeys={[view, imported, runConfig]}
      fallbackRender={(props) => <PanelError name={name} {...props} />}
    >
      <FaultTrap name={name} />
      {children}
    </ErrorBoundary>
  );
}
