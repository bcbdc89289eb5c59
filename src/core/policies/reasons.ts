/**
 * Every reason a decision can give, with all its words and how it is drawn: the one table that
 * the timeline (canvas cells and legend), the network diagram, tooltips, the drill-down and the
 * "How MAT decides" panel read. A new reason is one entry here (and, if a policy gives it, a line
 * in that policy's `reasons`).
 *
 * Every state differs by pattern or glyph, not by colour alone: solid (updated), light solid
 * (warm-up), diagonal hatch (frozen by α), dots (stopped by β), back-hatch (not picked by the
 * random control), horizontal stripes (frozen by the progressive schedule), outline + glyph
 * (forced).
 */

/** A fill pattern of a cell; every renderer (canvas, CSS, SVG) draws each one. */
export type CellPattern = 'none' | 'hatch' | 'back-hatch' | 'dots' | 'stripes';

export interface ReasonInfo {
  /** Whether a module with this reason is trained. */
  updating: boolean;
  /** Legend text under the timeline: "frozen by α". */
  legend: string;
  /** Tooltips and the module drill-down: "frozen by α (λmax < α·ref)". */
  tooltip: string;
  /** The explanation panel's verdict, after the module id: "frozen by the modular rule (α)". */
  verdict: string;
  /** Background colour of the cell. */
  fill: string;
  /** Colour of the pattern, outline and glyph. */
  ink: string;
  pattern: CellPattern;
  /** Drawn with an outline (forced by the user). */
  outline: boolean;
  /** A glyph drawn in the cell when it is large enough; null for none. */
  glyph: string | null;
}

const UPDATED = '#1d4ed8';

/** Every decision reason; `DecisionReason` is the union of its keys. */
export const REASONS = {
  /** Inside the warm-up W0, everything trains. */
  warmup: {
    updating: true,
    legend: 'warm-up (all train)',
    tooltip: 'updated (warm-up)',
    verdict: 'trains (warm-up)',
    fill: '#a9c6f2',
    ink: '#a9c6f2',
    pattern: 'none',
    outline: false,
    glyph: null,
  },
  /** Trained by a policy that trains everything (vanilla; progressive before a layer's step). */
  all: {
    updating: true,
    legend: 'updated',
    tooltip: 'updated (vanilla trains everything)',
    verdict: 'trains (vanilla trains everything)',
    fill: UPDATED,
    ink: UPDATED,
    pattern: 'none',
    outline: false,
    glyph: null,
  },
  /** λmax ≥ α·ref and not settled. */
  active: {
    updating: true,
    legend: 'updated',
    tooltip: 'updated (λmax ≥ α·ref, not settled)',
    verdict: 'trains',
    fill: UPDATED,
    ink: UPDATED,
    pattern: 'none',
    outline: false,
    glyph: null,
  },
  /** λmax < α·ref (modular rule). */
  'frozen-alpha': {
    updating: false,
    legend: 'frozen by α',
    tooltip: 'frozen by α (λmax < α·ref)',
    verdict: 'frozen by the modular rule (α)',
    fill: '#fff3e6',
    ink: '#c2410c',
    pattern: 'hatch',
    outline: false,
    glyph: null,
  },
  /** λmax has settled: relative change < β over the window (temporal rule). */
  'stopped-beta': {
    updating: false,
    legend: 'stopped by β',
    tooltip: 'stopped by β (λmax settled)',
    verdict: 'stopped by the temporal rule (β)',
    fill: '#f3efff',
    ink: '#6d28d9',
    pattern: 'dots',
    outline: false,
    glyph: null,
  },
  /** Picked by the random matched-budget control. */
  'random-on': {
    updating: true,
    legend: 'updated (random pick)',
    tooltip: 'updated (picked at random)',
    verdict: 'trains (picked at random)',
    fill: '#0f766e',
    ink: '#0f766e',
    pattern: 'none',
    outline: false,
    glyph: null,
  },
  /** Not picked by the random matched-budget control. */
  'random-off': {
    updating: false,
    legend: 'not picked (random)',
    tooltip: 'frozen (not picked at random)',
    verdict: 'frozen (not picked at random)',
    fill: '#f1f2f4',
    ink: '#4b5563',
    pattern: 'back-hatch',
    outline: false,
    glyph: null,
  },
  /** Frozen by the progressive (FreezeOut-style) depth schedule. */
  'frozen-schedule': {
    updating: false,
    legend: 'frozen by schedule',
    tooltip: 'frozen by the progressive depth schedule',
    verdict: 'frozen by the progressive depth schedule',
    fill: '#eef2f7',
    ink: '#334155',
    pattern: 'stripes',
    outline: false,
    glyph: null,
  },
  /** Forced on by the user (applied by the Session after every policy). */
  'forced-on': {
    updating: true,
    legend: 'forced on by you (+)',
    tooltip: 'forced on by you',
    verdict: 'trains (forced on by you)',
    fill: UPDATED,
    ink: '#111827',
    pattern: 'none',
    outline: true,
    glyph: '+',
  },
  /** Forced off by the user (applied by the Session after every policy). */
  'forced-off': {
    updating: false,
    legend: 'forced off by you (−)',
    tooltip: 'forced off by you',
    verdict: 'frozen (forced off by you)',
    fill: '#ffffff',
    ink: '#111827',
    pattern: 'none',
    outline: true,
    glyph: '−',
  },
} as const satisfies Record<string, ReasonInfo>;

/** Why a module is (not) updated between this evaluation and the next; see {@link REASONS}. */
export type DecisionReason = keyof typeof REASONS;

/** The reasons of manual overrides, which only the Session gives, in legend order. */
export const OVERRIDE_REASONS = ['forced-on', 'forced-off'] as const satisfies DecisionReason[];

/** A reason a policy's `decide` may give (every reason but the overrides'). */
export type PolicyReason = Exclude<DecisionReason, (typeof OVERRIDE_REASONS)[number]>;

/** Every reason, in table order. */
export const DECISION_REASONS = Object.keys(REASONS) as DecisionReason[];

/** One value per reason, e.g. `reasonRecord((r) => r.tooltip)`. */
export function reasonRecord<T>(
  f: (info: ReasonInfo, reason: DecisionReason) => T,
): Record<DecisionReason, T> {
  return Object.fromEntries(DECISION_REASONS.map((r) => [r, f(REASONS[r], r)])) as Record<
    DecisionReason,
    T
  >;
}
