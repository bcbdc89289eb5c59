import { setShortcutsOpen, togglePresenter } from '../store/actions';
import { useLabStore } from '../store/store';
import { useTheme } from './theme';
import { toggleTheme } from './theme-sync';

/** Theme toggle, presenter mode and the shortcut sheet: the page's own switches (header). */
export function PageToolbar() {
  const theme = useTheme();
  const present = useLabStore((s) => s.page.present);
  return (
    <div className="page-toolbar" role="group" aria-label="Page">
      <button
        type="button"
        data-testid="page.theme"
        aria-pressed={theme === 'dark'}
        onClick={toggleTheme}
        title="Dark colours on or off (remembered on this device; until first used, the system's setting is followed)"
      >
        {theme === 'dark' ? '☾' : '☀'} Dark theme
      </button>
      <button
        type="button"
        data-testid="page.present"
        aria-pressed={present}
        onClick={togglePresenter}
        title="Presenter mode for a projector: big type, heatmap, timeline and compute on one screen (p)"
      >
        Presenter mode
      </button>
      <button
        type="button"
        data-testid="page.shortcuts"
        aria-keyshortcuts="Shift+?"
        onClick={() => setShortcutsOpen(true)}
      >
        Shortcuts <kbd aria-hidden="true">?</kbd>
      </button>
    </div>
  );
}
