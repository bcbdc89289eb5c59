/**
 * How a decision looks in the freeze/update timeline and the network diagram. The styles and
 * words come from the one table of reasons (`core/policies/reasons.ts`); the legend of a policy
 * lists the reasons that policy declares, then the overrides'.
 */
import type { PolicyName } from '../core/config';
import type { CellPattern, ReasonInfo } from '../core/policies/reasons';
import { OVERRIDE_REASONS, REASONS } from '../core/policies/reasons';
import { getPolicy } from '../core/policies/registry';
import type { DecisionReason } from '../core/types';

export type { CellPattern };

/** How a cell of one reason is drawn (fill, ink, pattern, outline, glyph) and its legend text. */
export type CellStyle = ReasonInfo;

export const CELL_STYLES: Readonly<Record<DecisionReason, CellStyle>> = REASONS;

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
