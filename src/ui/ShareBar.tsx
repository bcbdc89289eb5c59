import { useMemo, useState } from 'react';
import { useShallow } from 'zustand/react/shallow';
import { exportRun, importRunFile, replay, reportError } from '../store/actions';
import { useLabStore } from '../store/store';
import type { ImportProgress } from '../store/run-import';
import { linkLeavesOut, MAX_URL_EVENTS, shareableConfig } from '../store/url-state';
import { torchExportProblem } from '../export/torch/files';
import { downloadText, runFileName } from './download';
import { JsonFileButton } from './JsonFileButton';
import { shareUrl } from './url-sync';

const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);

/** What an import in progress is doing, in words. */
function importText(p: ImportProgress): string {
  if (p.stage === 'reading') return `reading ${mb(p.loaded)} of ${mb(p.total)} MB…`;
  return p.stage === 'parsing' ? `parsing ${mb(p.total)} MB…` : 'checking the run…';
}

/** Copy the link, replay it, export the run as JSON, import a run file to view. */
export function ShareBar() {
  const s = useLabStore(
    useShallow((st) => ({
      phase: st.phase,
      view: st.view,
      running: st.running,
      importing: st.importing,
      runConfig: st.runConfig,
      events: st.events,
    })),
  );
  const [copied, setCopied] = useState<'yes' | 'manual' | null>(null);
  const [copiedUrl, setCopiedUrl] = useState('');
  const [busy, setBusy] = useState(false);
  const leftOut = useMemo(() => linkLeavesOut(s.runConfig, s.events), [s.runConfig, s.events]);

  const copy = async () => {
    // The link as the run stands now (the address bar may wait a moment for a long one).
    const url = shareUrl();
    setCopiedUrl(url);
    try {
      await navigator.clipboard.writeText(url);
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

  // Export as PyTorch: the experiment as the link describes it, as a training script (zip).
  const doTorch = async () => {
    const st = useLabStore.getState();
    const config = shareableConfig(st.runConfig, st.events);
    const problem = torchExportProblem(config);
    if (problem) {
      reportError('export', problem);
      return;
    }
    try {
      const { downloadTorchExport } = await import('../export/torch/browser');
      downloadTorchExport(config, st.step);
    } catch (e) {
      reportError(
        'export',
        `The PyTorch export failed: ${e instanceof Error ? e.message : String(e)}.`,
      );
    }
  };

  const onFile = async (file: File | undefined) => {
    // The size cap is checked before the file is read; reading and parsing run in a worker.
    if (file) await importRunFile(file);
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
        <button
          type="button"
          onClick={() => void doTorch()}
          disabled={s.view !== 'live'}
          title="A folder (zip) with a PyTorch training script for this experiment, runnable on one CPU or many GPUs with torchrun"
        >
          Export as PyTorch
        </button>
        <JsonFileButton
          label={s.importing ? 'Importing…' : 'Import run…'}
          inputLabel="Import a run file"
          onFile={onFile}
          disabled={s.importing !== null}
        />
      </div>
      {s.importing && (
        <p className="note" role="status" data-testid="import.progress">
          Importing {s.importing.name}: {importText(s.importing)}
        </p>
      )}
      {leftOut && (
        <p className="note" data-testid="share.left-out">
          This run has {leftOut.count.toLocaleString('en')} more changes than the{' '}
          {MAX_URL_EVENTS.toLocaleString('en')} a link carries: the link replays it up to step{' '}
          {leftOut.fromStep}. Export the run (JSON) to keep every change.
        </p>
      )}
      {copied === 'yes' && (
        <p className="note ok">Link copied. Opening it replays this run, including α/β changes.</p>
      )}
      {copied === 'manual' && (
        <div className="note">
          <label htmlFor="share-url">The clipboard is not available; copy the link by hand:</label>
          <input id="share-url" readOnly value={copiedUrl} onFocus={(e) => e.target.select()} />
        </div>
      )}
    </fieldset>
  );
}
