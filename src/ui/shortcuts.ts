/**
 * The lab's keyboard shortcuts: one table that the key handler (ShortcutSheet.tsx) acts on and
 * the `?` sheet lists. No shortcut fires while the user types in a field or holds Ctrl, ⌘ or Alt.
 */
import type { LiveParam } from '../core/config';

export type ShortcutAction =
  | 'play-pause'
  | 'step'
  | 'reset'
  | 'alpha-down'
  | 'alpha-up'
  | 'beta-down'
  | 'beta-up'
  | 'presenter'
  | 'help';

export interface Shortcut {
  action: ShortcutAction;
  /** `KeyboardEvent.key` values that trigger it. */
  keys: readonly string[];
  /** How the sheet writes the keys. */
  label: string;
  what: string;
}

/** The live sliders' ranges and steps (the sliders and the nudges share them). */
export const LIVE_SLIDERS: Readonly<Record<LiveParam, { min: number; max: number; step: number }>> =
  {
    alpha: { min: 0, max: 3, step: 0.05 },
    beta: { min: 0, max: 0.5, step: 0.005 },
  };

export const SHORTCUTS: readonly Shortcut[] = [
  { action: 'play-pause', keys: [' ', 'k'], label: 'Space or k', what: 'play / pause' },
  { action: 'step', keys: ['.'], label: '.', what: 'train one step (when paused)' },
  { action: 'reset', keys: ['r'], label: 'r', what: 'reset to step 0' },
  { action: 'alpha-down', keys: ['['], label: '[', what: `α down by ${LIVE_SLIDERS.alpha.step}` },
  { action: 'alpha-up', keys: [']'], label: ']', what: `α up by ${LIVE_SLIDERS.alpha.step}` },
  { action: 'beta-down', keys: [';'], label: ';', what: `β down by ${LIVE_SLIDERS.beta.step}` },
  { action: 'beta-up', keys: ["'"], label: "'", what: `β up by ${LIVE_SLIDERS.beta.step}` },
  { action: 'presenter', keys: ['p'], label: 'p', what: 'presenter mode on / off' },
  { action: 'help', keys: ['?'], label: '?', what: 'this list of shortcuts' },
];

/** Keys that work when a heatmap or timeline has focus (listed in the sheet, handled by the grid). */
export const GRID_KEYS: readonly { label: string; what: string }[] = [
  { label: '↑ ↓ or k j', what: 'previous / next module' },
  { label: '← →', what: 'previous / next evaluation' },
  { label: 'Home End', what: 'first / newest evaluation' },
  { label: 'Enter', what: "open the module's details (spectrum, force on / off)" },
];

/** Whether keys typed at `target` belong to it (a field, a select, editable text). */
export function isTypingTarget(target: EventTarget | null): boolean {
  if (!target || typeof (target as Element).closest !== 'function') return false;
  const el = target as HTMLElement;
  if (el.isContentEditable) return true;
  const field = el.closest('input, select, textarea, [contenteditable="true"]');
  if (!field) return false;
  // Range inputs take arrow keys, not letters: shortcuts still work on a focused slider.
  return !(field.tagName === 'INPUT' && (field as HTMLInputElement).type === 'range');
}

/** The subset of a KeyboardEvent the shortcuts read. */
export interface KeyInput {
  key: string;
  ctrlKey: boolean;
  metaKey: boolean;
  altKey: boolean;
  repeat: boolean;
  target: EventTarget | null;
}

/**
 * The shortcut a key press asks for, or null: never while typing in a field, with Ctrl, ⌘ or Alt,
 * or for an auto-repeated key (except the slider nudges); Space is left to a focused button,
 * link or summary, which it activates.
 */
export function shortcutFor(e: KeyInput): ShortcutAction | null {
  if (e.ctrlKey || e.metaKey || e.altKey) return null;
  if (isTypingTarget(e.target)) return null;
  const hit = SHORTCUTS.find((s) => s.keys.includes(e.key));
  if (!hit) return null;
  const nudge = hit.action.startsWith('alpha') || hit.action.startsWith('beta');
  if (e.repeat && !nudge) return null;
  if (e.key === ' ') {
    const t = e.target as HTMLElement | null;
    if (t && typeof t.closest === 'function' && t.closest('button, a, summary, [role="button"]'))
      return null;
  }
  return hit.action;
}
