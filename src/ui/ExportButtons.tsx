import { useState } from 'react';
import { reportError } from '../store/actions';
import { useLabStore } from '../store/store';

/** One export: the button's text, what it saves (its accessible name), and how. */
export interface ExportItem {
  /** Short text on the button: CSV, PNG, SVG. */
  label: string;
  /** Its accessible name and tooltip: what is saved, e.g. "Download the loss chart as PNG". */
  name: string;
  testId: string;
  /** Saves the file; a failure is shown in the error panel. */
  run: () => void | Promise<void>;
  disabled?: boolean;
}

/**
 * A panel's export buttons: small, in the tab order, each named by what it saves. One export at
 * a time; a failure is said in the error panel (source `export`). Not shown in presenter mode.
 */
export function ExportButtons({ label, items }: { label: string; items: ExportItem[] }) {
  const [busy, setBusy] = useState(false);
  // Presenter mode shows the run, not the tools.
  const present = useLabStore((s) => s.page.present);
  const go = async (item: ExportItem) => {
    setBusy(true);
    try {
      await item.run();
    } catch (e) {
      reportError('export', `${item.name} failed: ${e instanceof Error ? e.message : String(e)}.`);
    } finally {
      setBusy(false);
    }
  };
  if (present) return null;
  return (
    <div className="export-buttons" role="group" aria-label={label}>
      {items.map((item) => (
        <button
          key={item.testId}
          type="button"
          className="small"
          aria-label={item.name}
          title={item.name}
          data-testid={item.testId}
          disabled={busy || item.disabled}
          onClick={() => void go(item)}
        >
          {item.label}
        </button>
      ))}
    </div>
  );
}
