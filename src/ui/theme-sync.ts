/**
 * Keeps `<html data-theme>` equal to the theme shown: the link's `theme=`, else the user's choice
 * (the header's toggle, stored in localStorage), else the system's (`prefers-color-scheme`,
 * followed live). Styles read the attribute; canvases and charts redraw through `useTheme`.
 */
import { setSystemDark, setThemeChoice } from '../store/actions';
import { useLabStore } from '../store/store';
import type { LabState } from '../store/store';
import { THEMES } from '../core/url';
import type { ThemeName } from '../core/url';
import { resolveTheme } from './theme';

/** localStorage key of the user's theme choice. */
export const THEME_STORAGE_KEY = 'mat-lab-theme';

function storedChoice(): ThemeName | null {
  try {
    const v = localStorage.getItem(THEME_STORAGE_KEY);
    return (THEMES as readonly string[]).includes(v ?? '') ? (v as ThemeName) : null;
  } catch {
    return null;
  }
}

export function startThemeSync(): () => void {
  const media = window.matchMedia?.('(prefers-color-scheme: dark)');
  setSystemDark(media?.matches ?? false);
  const stored = storedChoice();
  // The link's theme (already in page flags) wins over the stored one for this page.
  if (stored) useLabStore.setState({ themeChoice: stored });
  const onMedia = (e: MediaQueryListEvent) => setSystemDark(e.matches);
  media?.addEventListener('change', onMedia);

  let lastChoice = useLabStore.getState().themeChoice;
  const apply = (s: LabState) => {
    const theme = resolveTheme(s.page.theme ?? s.themeChoice, s.systemDark);
    const root = document.documentElement;
    if (root.dataset.theme !== theme) root.dataset.theme = theme;
    if (s.themeChoice !== lastChoice) {
      lastChoice = s.themeChoice;
      try {
        if (s.themeChoice) localStorage.setItem(THEME_STORAGE_KEY, s.themeChoice);
        else localStorage.removeItem(THEME_STORAGE_KEY);
      } catch {
        // Storage may be off (private mode): the choice lasts for this page only.
      }
    }
  };
  apply(useLabStore.getState());
  const unsubscribe = useLabStore.subscribe(apply);
  return () => {
    unsubscribe();
    media?.removeEventListener('change', onMedia);
  };
}

/** The header's toggle: the other theme than the one shown, remembered. */
export function toggleTheme(): void {
  const s = useLabStore.getState();
  const shown = resolveTheme(s.page.theme ?? s.themeChoice, s.systemDark);
  setThemeChoice(shown === 'dark' ? 'light' : 'dark');
}
