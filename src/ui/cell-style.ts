/**
 * How a decision looks in the freeze/update timeline and the network diagram. The styles and
 * words come from the one table of reasons (`core/policies/reasons.ts`); the legend of a policy
 * lists the reasons that policy declares, then the overrides'.
 */
import type { PolicyName } from '../core/config';
import type { CellPattern } from '../core/policies/reasons';
import { OVERRIDE_REASONS, reasonRecord } from '../core/policies/reasons';
import { getPolicy } from '../core/policies/registry';
import type { DecisionReason } from '../core/types';

export type { CellPattern };

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

export const CELL_STYLES: Readonly<Record<DecisionReason, CellStyle>> = reasonRecord((r) => ({
  fill: r.fill,
  ink: r.ink,
  pattern: r.pattern,
  outline: r.outline,
  glyph: r.glyph,
  label: r.legend,
  updating: r.updating,
}));

export function cellStyle(reason: DecisionReason): CellStyle {
  return CELL_STYLES[reason];
}

/** Legend entries for a policy, in a stable order (only the states it can produce, plus overrides). */
export function legendReasons(policy: PolicyName): DecisionReason[] {
  return [...getPolicy(policy).reasons, ...OVERRIDE_REASONS];
}

/** Colour of a glyph drawn on `style` (white on dark fills). */
export function glyphColour(style: CellStyle): string {
  return style.fill === '#ffffff' ? style.ink : '#ffffff';
}
