import { useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { exportRun, importRunText, replay, reportError } from '../store/actions';
import { useLabStore } from '../store/store';
import { shareableConfig } from '../store/url-state';
import { runFileTooLarge } from '../core/runfile';
import { downloadText, runFileName } from './download';
import { JsonFileButton } from './JsonFileButton';

/** Copy the link, replay it, export the run as JSON, import a run file to view. */
export function ShareBar() {
  const s = useLabStore(
    useShallow((st) => ({ phase: st.phase, view: st.view, running: st.running })),
  );
  const [copied, setCopied] = useState<'yes' | 'manual' | null>(null);
  const [busy, setBusy] = useState(false);

  const copy = async () => {
    try {
      await navigator.clipboard.writeText(location.href);
      setCopied('yes');
    } catch {
      setCopied('manual');
    }
    setTimeout(() => setCopied((c) => (c === 'yes' ? null : c)), 2500);
  };

  const doExport = async () => {
    setBusy(true);
    try {
      const run = await exportRun();
      downloadText(runFileName(run.config.seed, run.step), JSON.stringify(run));
    } catch (e) {
      reportError(
        'export',
        `The run could not be exported: ${e instanceof Error ? e.message : String(e)}.`,
      );
    } finally {
      setBusy(false);
    }
  };

  const onFile = async (file: File | undefined) => {
    if (!file) return;
    // The size cap is checked before the file is read or parsed.
    const tooLarge = runFileTooLarge(file.size, file.name);
    if (tooLarge) {
      reportError('import', tooLarge);
      return;
    }
    try {
      importRunText(await file.text(), file.name);
    } catch (e) {
      reportError(
        'import',
        `${file.name} could not be read: ${e instanceof Error ? e.message : String(e)}.`,
      );
    }
  };

  const replayLink = () => {
    const st = useLabStore.getState();
    replay(shareableConfig(st.runConfig, st.events));
  };

  return (
    <fieldset className="panel share">
      <legend>Share &amp; files</legend>
      <div className="inline wrap">
        <button type="button" onClick={() => void copy()} disabled={s.view !== 'live'}>
          Copy link
        </button>
        <button
          type="button"
          onClick={replayLink}
          disabled={s.view !== 'live'}
          title="Restart exactly as the link describes the run: step-0 values and every logged α/β change."
        >
          Replay link
        </button>
        <button
          type="button"
          onClick={() => void doExport()}
          disabled={s.view !== 'live' || s.phase !== 'ready' || busy}
        >
          {busy ? 'Exporting…' : 'Export run (JSON)'}
        </button>
        <JsonFileButton label="Import run…" inputLabel="Import a run file" onFile={onFile} />
      </div>
      {copied === 'yes' && (
        <p className="note ok">Link copied. Opening it replays this run, including α/β changes.</p>
      )}
      {copied === 'manual' && (
        <div className="note">
          <label htmlFor="share-url">The clipboard is not available; copy the link by hand:</label>
          <input id="share-url" readOnly value={location.href} onFocus={(e) => e.target.select()} />
        </div>
      )}
    </fieldset>
  );
}
