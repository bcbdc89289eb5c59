/**
 * Light and dark theme. Every colour of the interface is a CSS custom property in styles.css
 * (`:root` for light, `:root[data-theme='dark']` for dark): the one source. Canvas drawings and
 * recharts, which need colours as values, read the same properties through {@link readPalette}
 * and redraw when the theme changes ({@link useTheme}).
 */
import { useLabStore } from '../store/store';
import type { ThemeName } from '../core/url';

export type { ThemeName };

/** Colours the canvases and charts draw with: CSS custom property → fallback (light theme). */
const PALETTE_VARS = {
  text: ['--text', '#111827'],
  muted: ['--muted', '#4b5563'],
  card: ['--card', '#ffffff'],
  accent: ['--accent', '#1d4ed8'],
  gridText: ['--grid-text', '#1f2937'],
  gridMuted: ['--grid-muted', '#4b5563'],
  noValue: ['--no-value', '#c7cbd1'],
  chartGrid: ['--chart-grid', '#e5e7eb'],
  lossRaw: ['--loss-raw', '#64748b'],
  lossEma: ['--loss-ema', '#1d4ed8'],
  valLine: ['--val-line', '#c2410c'],
  bar: ['--bar', '#1d4ed8'],
  trajectory: ['--trajectory', '#0f766e'],
  reference: ['--reference', '#6b7280'],
  netEdge: ['--net-edge', '#cbd5e1'],
  netNodeBg: ['--net-node-bg', '#f8fafc'],
  netNodeLine: ['--net-node-line', '#64748b'],
  selected: ['--selected', '#111827'],
  cellText: ['--text', '#111827'],
  overlay1: ['--overlay-1', '#7c3aed'],
  overlay2: ['--overlay-2', '#0f766e'],
  overlay3: ['--overlay-3', '#be185d'],
  overlay4: ['--overlay-4', '#a16207'],
  overlay5: ['--overlay-5', '#15803d'],
  overlay6: ['--overlay-6', '#b91c1c'],
} as const satisfies Record<string, readonly [string, string]>;

export type Palette = { [K in keyof typeof PALETTE_VARS]: string };

/** The light theme's values, for Node (tests) and before the style sheet is applied. */
export const FALLBACK_PALETTE: Palette = Object.fromEntries(
  Object.entries(PALETTE_VARS).map(([k, [, v]]) => [k, v]),
) as Palette;

/** The palette of the theme now applied to the document. */
export function readPalette(): Palette {
  if (typeof document === 'undefined' || typeof getComputedStyle === 'undefined')
    return FALLBACK_PALETTE;
  const style = getComputedStyle(document.documentElement);
  return Object.fromEntries(
    Object.entries(PALETTE_VARS).map(([k, [name, fallback]]) => [
      k,
      style.getPropertyValue(name).trim() || fallback,
    ]),
  ) as Palette;
}

/** The theme shown: the user's choice, else the system's (`prefers-color-scheme`). */
export function resolveTheme(choice: ThemeName | null, systemDark: boolean): ThemeName {
  return choice ?? (systemDark ? 'dark' : 'light');
}

/** The theme shown now; components that draw with {@link readPalette} depend on it. */
export function useTheme(): ThemeName {
  return useLabStore((s) => resolveTheme(s.page.theme ?? s.themeChoice, s.systemDark));
}

/** The palette of the theme shown; re-read when the theme changes. */
export function usePalette(): Palette {
  const theme = useTheme();
  // The theme's attribute is set on <html> before React renders with the new theme (theme-sync).
  return paletteFor(theme);
}

const cache = new Map<ThemeName, Palette>();
function paletteFor(theme: ThemeName): Palette {
  if (typeof document !== 'undefined' && document.documentElement.dataset.theme !== theme)
    return readPalette();
  let p = cache.get(theme);
  if (!p) {
    p = readPalette();
    cache.set(theme, p);
  }
  return p;
}

/** The colour of the `seq`-th overlaid run on the loss chart (six, in turn). */
export function overlayColour(palette: Palette, seq: number): string {
  const colours = [
    palette.overlay1,
    palette.overlay2,
    palette.overlay3,
    palette.overlay4,
    palette.overlay5,
    palette.overlay6,
  ];
  return colours[(((seq - 1) % colours.length) + colours.length) % colours.length] ?? palette.text;
}
