/** Derived values, as pure functions of the state (used by components and the lab hook). */
import { moduleLabel } from '../core/families/module-kinds';
import type { FlopPart } from '../core/flops';
import { FLOP_PARTS, splitTotal } from '../core/flops';
import { reasonRecord } from '../core/policies/reasons';
import type { DecisionReason } from '../core/types';
import type { LabState, RunData } from './store';

export interface ComputeSummary {
  /** Steps covered by the FLOP counts. */
  steps: number;
  /** Cumulative charged training FLOPs of the policy, mNTK evaluations included. */
  charged: number;
  /** Cumulative FLOPs vanilla would have spent for the same steps. */
  vanilla: number;
  /** 1 − charged / vanilla (negative when the policy spent more). NaN before any step. */
  saving: number;
  /** FLOPs charged for mNTK evaluations within `charged`; null when unknown (imported runs). */
  mntk: number | null;
  /** Evaluations charged so far. */
  evaluations: number;
}

export function computeSummary(
  d: Pick<RunData, 'metrics' | 'evaluations' | 'flopsPerEvaluation'>,
): ComputeSummary {
  const n = d.metrics.length;
  const steps = n > 0 ? (d.metrics.steps[n - 1] ?? 0) : 0;
  const charged = n > 0 ? (d.metrics.flops[n - 1] ?? NaN) : 0;
  const vanilla = n > 0 ? (d.metrics.vanillaFlops[n - 1] ?? NaN) : 0;
  // An evaluation at step t is charged to training step t + 1, whose metrics may lag behind.
  let evaluations = 0;
  for (const e of d.evaluations) if (e.step < steps) evaluations++;
  const mntk = d.flopsPerEvaluation === null ? null : evaluations * d.flopsPerEvaluation;
  const saving = vanilla > 0 ? 1 - charged / vanilla : NaN;
  return { steps, charged, vanilla, saving, mntk, evaluations };
}

/** One part of the compute split: the run's cumulative FLOPs and vanilla's at the same step. */
export interface ComputePart {
  part: FlopPart;
  /** Charged to the run so far. */
  run: number;
  /** Vanilla's for the same steps (0 for `kernel`: vanilla evaluates no mNTK). */
  vanilla: number;
  /** vanilla − run: what the policy saved on this part (negative: it spent more). */
  saved: number;
  /** saved / vanilla; NaN when vanilla spends nothing on this part. */
  saving: number;
}

export interface ComputeSplit {
  /** Steps the split covers (the latest metrics push). */
  steps: number;
  parts: ComputePart[];
  /** Sums of the parts: equal to `ComputeSummary.charged` and `.vanilla` at the same push. */
  run: number;
  vanilla: number;
}

/** The run's and vanilla's FLOPs by part at the latest push; null when not known (run files). */
export function computeSplit(d: Pick<RunData, 'metrics'>): ComputeSplit | null {
  const s = d.metrics.split;
  if (!s) return null;
  const parts = FLOP_PARTS.map((part): ComputePart => {
    const run = s.run[part];
    const vanilla = s.vanilla[part];
    const saved = vanilla - run;
    return { part, run, vanilla, saved, saving: vanilla > 0 ? saved / vanilla : NaN };
  });
  return { steps: s.step, parts, run: splitTotal(s.run), vanilla: splitTotal(s.vanilla) };
}

/** Module label for rows: `L0·H3` for a head (layer 0, head 3). */
export { moduleLabel };

/** Words for a decision, for tooltips and the drill-down (from the table of reasons). */
export const REASON_WORDS: Readonly<Record<DecisionReason, string>> = reasonRecord(
  (r) => r.tooltip,
);

export interface HookStatus {
  backend: string | null;
  adapter: string;
  isFallbackAdapter: boolean;
  /** Whether the lab's fused WebGPU kernels run (null: not said). */
  fused: boolean | null;
  step: number;
  running: boolean;
  model: string;
  policy: string;
  /** The trainer's answer to the last Pause (`RunState.lastPause`); null since Play. */
  lastPause: { received: number; stopped: number } | null;
}

export interface HookModule {
  id: string;
  kind: string;
  lambdaMax: number;
  updating: boolean;
}

export interface HookHistory {
  evaluations: {
    step: number;
    lambdaMax: Record<string, number>;
    updating: Record<string, boolean>;
  }[];
  /** α/β changes (`from`, `to` numbers) and manual overrides (`module`, `from`, `to`: on, off, auto). */
  events: {
    step: number;
    name: string;
    module?: string;
    from: number | string;
    to: number | string;
  }[];
}

export function hookStatus(s: LabState): HookStatus {
  return {
    backend: s.backend?.backend ?? null,
    adapter: s.backend?.adapter ?? '',
    isFallbackAdapter: s.backend?.isFallbackAdapter ?? false,
    fused: s.backend?.fused ?? null,
    step: s.step,
    running: s.running,
    model: s.runConfig.model,
    policy: s.runConfig.policy,
    lastPause: s.lastPause ? { ...s.lastPause } : null,
  };
}

/** Every module at the latest evaluation; [] before the first one. */
export function hookModules(s: LabState): HookModule[] {
  const last = s.evaluations[s.evaluations.length - 1];
  if (!last) return [];
  return s.modules.map((m, i) => ({
    id: m.id,
    kind: m.kind,
    lambdaMax: last.lambdaMax[i] ?? NaN,
    updating: (last.updating[i] ?? 0) === 1,
  }));
}

export function hookHistory(s: LabState): HookHistory {
  return {
    evaluations: s.evaluations.map((e) => ({
      step: e.step,
      lambdaMax: Object.fromEntries(s.modules.map((m, i) => [m.id, e.lambdaMax[i] ?? NaN])),
      updating: Object.fromEntries(s.modules.map((m, i) => [m.id, (e.updating[i] ?? 0) === 1])),
    })),
    events: s.events.map((e) =>
      e.name === 'override'
        ? { step: e.step, name: e.name, module: e.module, from: e.from, to: e.to }
        : { step: e.step, name: e.name, from: e.from, to: e.to },
    ),
  };
}
