/** UI slice: errors shown to the user, what is being viewed, and panel state. */
import type { PageFlags, ThemeName } from '../core/url';
import { DEFAULT_PAGE_FLAGS } from '../core/url';
import type { ImportProgress } from './run-import';

export type ErrorSource = 'url' | 'trainer' | 'import' | 'export' | 'storage';

/** A problem shown in the error panel, as a sentence. */
export interface LabError {
  id: number;
  source: ErrorSource;
  /** Trainer error code or URL field; null when none. */
  code: string | null;
  message: string;
  /** A fatal trainer error stopped the run; only Reset continues. */
  fatal: boolean;
  /** How many times this same problem was reported (a crashing worker may report it repeatedly). */
  count: number;
}

export interface UiState {
  errors: LabError[];
  /** Id of the next error. */
  errorSeq: number;
  /** `imported`: the charts show a run file, read-only; the live run waits behind it. */
  view: 'live' | 'imported';
  importedName: string | null;
  /** A run file being read (off the main thread where the page has workers); null when none. */
  importing: ImportProgress | null;
  /** Where training runs; null before a trainer is connected. */
  where: 'worker' | 'in-thread' | null;
  /** Module whose drill-down is open. */
  selectedModule: string | null;
  /**
   * Median ms/step measured on this page, by `measureKey` (the backend and every config field
   * that changes a step's time), so a policy's time can be put beside vanilla's measured on the
   * same backend, model and data.
   */
  measured: Record<string, number>;
  /** URL parameters that are not experiment fields (e.g. `worker=0`), kept in the shared link. */
  passThrough: [string, string][];
  /** How the page shows the run (presenter mode, hidden parts, a forced theme): in the link. */
  page: PageFlags;
  /** The theme the user picked with the toggle (stored in localStorage); null: follow the system. */
  themeChoice: ThemeName | null;
  /** Whether the system asks for dark colours (`prefers-color-scheme: dark`). */
  systemDark: boolean;
  /** Whether the keyboard shortcut sheet is open. */
  shortcutsOpen: boolean;
  /**
   * Play or Step held back because a step would take longer than `CONFIRM_ABOVE_MS`: what was
   * asked for and the estimate the dialog explains. Null when nothing waits.
   */
  costConfirm: CostConfirm | null;
  /** The `measureKey` of the config whose long steps the user accepted (asked once per config). */
  costAccepted: string | null;
  /** Whether the software-adapter notice was dismissed (for this page). */
  softwareNoticeDismissed: boolean;
}

/** A held-back Play or Step and the step-time estimate behind it. */
export interface CostConfirm {
  action: 'play' | 'step';
  msPerStep: number;
  msWithEvaluation: number;
  measured: boolean;
}

export function initialUiState(): UiState {
  return {
    errors: [],
    errorSeq: 1,
    view: 'live',
    importedName: null,
    importing: null,
    where: null,
    selectedModule: null,
    measured: {},
    passThrough: [],
    page: DEFAULT_PAGE_FLAGS,
    themeChoice: null,
    systemDark: false,
    shortcutsOpen: false,
    costConfirm: null,
    costAccepted: null,
    softwareNoticeDismissed: false,
  };
}

/** `s.errors` with new errors appended (ids assigned); a repeat of a shown error only counts up. */
export function withErrors(
  s: UiState,
  errors: Omit<LabError, 'id' | 'count'>[],
): Pick<UiState, 'errors' | 'errorSeq'> {
  let seq = s.errorSeq;
  const out = [...s.errors];
  for (const e of errors) {
    const same = out.findIndex(
      (o) => o.source === e.source && o.code === e.code && o.message === e.message,
    );
    const prev = out[same];
    if (prev) out[same] = { ...prev, count: prev.count + 1, fatal: prev.fatal || e.fatal };
    else out.push({ ...e, id: seq++, count: 1 });
  }
  return { errors: out, errorSeq: seq };
}
