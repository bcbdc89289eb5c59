/**
 * How a decision looks in the freeze/update timeline. Every state differs by pattern or glyph,
 * not by colour alone: solid (updated), light solid (warm-up), diagonal hatch (frozen by α),
 * dots (stopped by β), back-hatch (not picked by the random control), horizontal stripes (frozen
 * by the progressive schedule), outline + glyph (forced).
 */
import type { DecisionReason } from '../core/types';

export type CellPattern = 'none' | 'hatch' | 'back-hatch' | 'dots' | 'stripes';

export interface CellStyle {
  /** Background colour of the cell. */
  fill: string;
  /** Colour of the pattern, outline and glyph. */
  ink: string;
  pattern: CellPattern;
  /** Drawn with an outline (forced by the user). */
  outline: boolean;
  /** A glyph drawn in the cell when it is large enough; null for none. */
  glyph: string | null;
  /** Legend text. */
  label: string;
  /** Whether the module is trained in this state. */
  updating: boolean;
}

const UPDATED = '#1d4ed8';

export const CELL_STYLES: Readonly<Record<DecisionReason, CellStyle>> = {
  active: { fill: UPDATED, ink: UPDATED, pattern: 'none', outline: false, glyph: null, label: 'updated', updating: true },
  all: { fill: UPDATED, ink: UPDATED, pattern: 'none', outline: false, glyph: null, label: 'updated', updating: true },
  warmup: { fill: '#a9c6f2', ink: '#a9c6f2', pattern: 'none', outline: false, glyph: null, label: 'warm-up (all train)', updating: true },
  'random-on': { fill: '#0f766e', ink: '#0f766e', pattern: 'none', outline: false, glyph: null, label: 'updated (random pick)', updating: true },
  'frozen-alpha': { fill: '#fff3e6', ink: '#c2410c', pattern: 'hatch', outline: false, glyph: null, label: 'frozen by α', updating: false },
  'stopped-beta': { fill: '#f3efff', ink: '#6d28d9', pattern: 'dots', outline: false, glyph: null, label: 'stopped by β', updating: false },
  'random-off': { fill: '#f1f2f4', ink: '#4b5563', pattern: 'back-hatch', outline: false, glyph: null, label: 'not picked (random)', updating: false },
  'frozen-schedule': { fill: '#eef2f7', ink: '#334155', pattern: 'stripes', outline: false, glyph: null, label: 'frozen by schedule', updating: false },
  'forced-on': { fill: UPDATED, ink: '#111827', pattern: 'none', outline: true, glyph: '+', label: 'forced on by you (+)', updating: true },
  'forced-off': { fill: '#ffffff', ink: '#111827', pattern: 'none', outline: true, glyph: '−', label: 'forced off by you (−)', updating: false },
};

export function cellStyle(reason: DecisionReason): CellStyle {
  return CELL_STYLES[reason];
}

/** Legend entries for a policy, in a stable order (only the states it can produce, plus overrides). */
export function legendReasons(policy: string): DecisionReason[] {
  const tail: DecisionReason[] = ['forced-on', 'forced-off'];
  if (policy === 'vanilla') return ['all', ...tail];
  if (policy === 'random') return ['warmup', 'random-on', 'random-off', ...tail];
  if (policy === 'progressive') return ['warmup', 'all', 'frozen-schedule', ...tail];
  return ['warmup', 'active', 'frozen-alpha', 'stopped-beta', ...tail];
}

/** Colour of a glyph drawn on `style` (white on dark fills). */
export function glyphColour(style: CellStyle): string {
  return style.fill === '#ffffff' ? style.ink : '#ffffff';
}
