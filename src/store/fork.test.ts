import { beforeEach, describe, expect, it } from 'vitest';
import type { ExperimentConfig } from '../core/config';
import type { InitOptions } from '../protocol/messages';
import { bootLab, configureMessageCommit } from './actions';
import { forkAt, forkProblem } from './fork';
import { evaluationIndex, scrubbedEvaluation, shownScrubStep } from './scrub-slice';
import { resetStore, useLabStore } from './store';
import { evaluationMsg, FakeTrainer, metricsMsg, readyMsg } from './testing';

/** A fake trainer that also records each init's options. */
class RecordingTrainer extends FakeTrainer {
  readonly options: InitOptions[] = [];
  override init(config: ExperimentConfig, opts: InitOptions = {}): void {
    super.init(config);
    this.options.push(opts);
  }
}

function boot(search: string): RecordingTrainer {
  const t = new RecordingTrainer();
  bootLab(search, () => t);
  t.emit(readyMsg(t.inits[0]!));
  t.emit(metricsMsg(1, [3, 2.9, 2.8]));
  for (const step of [0, 10, 20]) t.emit(evaluationMsg(step, [1, 2], [true, true]));
  t.emit({ type: 'checkpoints', steps: [0, 10] });
  return t;
}

beforeEach(() => {
  resetStore();
  configureMessageCommit(0);
});

describe('scrub cursor', () => {
  it('finds evaluations by step and treats a step of no evaluation as following', () => {
    const t = boot('?K=10');
    const { evaluations } = useLabStore.getState();
    expect(evaluationIndex(evaluations, 10)).toBe(1);
    expect(evaluationIndex(evaluations, 15)).toBe(-1);
    expect(shownScrubStep(10, evaluations)).toBe(10);
    expect(shownScrubStep(15, evaluations)).toBeNull();
    expect(scrubbedEvaluation(null, evaluations).at?.step).toBe(20);
    expect(scrubbedEvaluation(10, evaluations).at?.step).toBe(10);
    expect(t.calls).toContain('init');
  });
});

describe('forkAt', () => {
  it("says why a step cannot be forked, and forks from a kept one: init with fork, the link's fork and parent", () => {
    const t = boot('?K=10&events=5:alpha:1.1');
    useLabStore.setState({ scrubStep: 10 });
    const s = useLabStore.getState();
    expect(s.checkpointSteps).toEqual([0, 10]);
    expect(forkProblem(s, 20)).toBe('No checkpoint is kept at step 20 (kept: 0, 10).');
    expect(forkAt(20)).toBe(false);
    expect(t.options).toHaveLength(1);

    expect(forkProblem(s, 10)).toBeNull();
    expect(forkAt(10)).toBe(true);
    expect(t.options[1]).toMatchObject({ fork: { step: 10 } });
    // The fork's config: the parent's experiment; its change log comes back from the worker.
    expect(t.inits[1]!.events).toEqual([]);
    expect(t.inits[1]!.K).toBe(10);
    const after = useLabStore.getState();
    const param = (k: string) => after.passThrough.find(([key]) => key === k)?.[1];
    expect(param('fork')).toBe('10');
    expect(param('parent')).toMatch(/^[0-9a-f]{8}$/);
    expect(after.scrubStep).toBeNull();
    expect(after.checkpointSteps, 'until the worker lists the fork’s').toEqual([]);
    // The parent went to the run list.
    expect(after.runs.length).toBe(1);
  });
});
