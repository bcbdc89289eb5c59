/**
 * The one store, built from slices (zustand's slices pattern). It holds plain numbers and typed
 * arrays only, never tensors (the one exception, the trainer link's handles, is explained in
 * `link-slice.ts`). Actions live at module level in `actions.ts`; all their state is here.
 */
import { create } from 'zustand';
import type { StateCreator } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import { DEFAULT_CONFIG } from '../core/config';
import type { ControlsState } from './controls-slice';
import { initialControlsState } from './controls-slice';
import type { EvaluationsState } from './evaluations-slice';
import { initialEvaluationsState } from './evaluations-slice';
import type { LinkState } from './link-slice';
import { initialLinkState, releaseLink } from './link-slice';
import type { MetricsState } from './metrics-slice';
import { initialMetricsState } from './metrics-slice';
import type { RunState } from './run-slice';
import { initialRunState } from './run-slice';
import type { UiState } from './ui-slice';
import { initialUiState } from './ui-slice';
import type { SavedState } from './saved-slice';
import { initialSavedState } from './saved-slice';
import type { RunsState } from './runs-slice';
import { initialRunsState } from './runs-slice';
import type { ScrubState } from './scrub-slice';
import { initialScrubState } from './scrub-slice';
import type { CompareState } from './compare-slice';
import { initialCompareState, releaseCompareLink } from './compare-slice';

/** Everything that belongs to one run (cleared by Reset, replaced by an imported run file). */
export type RunData = RunState & MetricsState & EvaluationsState;
export type LabState = RunData &
  ControlsState &
  UiState &
  LinkState &
  SavedState &
  RunsState &
  CompareState &
  ScrubState;

type Slice<T> = StateCreator<LabState, [], [], T>;

const createRunSlice: Slice<RunState> = () => initialRunState(DEFAULT_CONFIG);
const createMetricsSlice: Slice<MetricsState> = () => initialMetricsState();
const createEvaluationsSlice: Slice<EvaluationsState> = () => initialEvaluationsState();
const createControlsSlice: Slice<ControlsState> = () => initialControlsState();
const createUiSlice: Slice<UiState> = () => initialUiState();
const createLinkSlice: Slice<LinkState> = () => initialLinkState();
const createSavedSlice: Slice<SavedState> = () => initialSavedState();
const createRunsSlice: Slice<RunsState> = () => initialRunsState();
const createCompareSlice: Slice<CompareState> = () => initialCompareState();
const createScrubSlice: Slice<ScrubState> = () => initialScrubState();

export const useLabStore = create<LabState>()((...a) => ({
  ...createRunSlice(...a),
  ...createMetricsSlice(...a),
  ...createEvaluationsSlice(...a),
  ...createControlsSlice(...a),
  ...createUiSlice(...a),
  ...createLinkSlice(...a),
  ...createSavedSlice(...a),
  ...createRunsSlice(...a),
  ...createCompareSlice(...a),
  ...createScrubSlice(...a),
}));

/**
 * Back to the state at module load (tests, and a fresh start). The connected trainer, if any, is
 * released: its pending commit cancelled, its messages no longer routed, the trainer disposed.
 */
export function resetStore(): void {
  const { link, compareLink } = useLabStore.getState();
  useLabStore.setState(useLabStore.getInitialState(), true);
  if (link) releaseLink(link);
  if (compareLink) releaseCompareLink(compareLink);
}

/**
 * The store fields `keys` for a component, which re-renders only when one of them changes
 * (a shallow comparison of the picked fields).
 */
export function useLabFields<K extends keyof LabState>(...keys: K[]): Pick<LabState, K> {
  return useLabStore(
    useShallow((st) => Object.fromEntries(keys.map((k) => [k, st[k]])) as Pick<LabState, K>),
  );
}
