/** Hand-made reports for the unit tests (numbers chosen so results can be checked by hand). */
import type { PolicyName } from '../core/config';
import { presetConfig } from '../core/presets';
import { summarise } from './analyse';
import type { Curve, Report, RunRecord } from './schema';
import { REPORT_FORMAT, REPORT_FORMAT_VERSION } from './schema';

/** A run whose curve is given; everything else filled with plausible constants. */
export function fakeRun(
  policy: PolicyName,
  seed: number,
  curve: Curve,
  extra: Partial<RunRecord> = {},
): RunRecord {
  const config = { ...presetConfig('mlp-spiral')!, policy, seed };
  const last = curve.flops[curve.flops.length - 1] ?? 0;
  return {
    policy,
    seed,
    config,
    steps: curve.step[curve.step.length - 1] ?? 0,
    validation: curve,
    finalMetric: curve.metric[curve.metric.length - 1] ?? 0,
    finalSmoothed: curve.metric[curve.metric.length - 1] ?? 0,
    target: 0.5,
    flopsToTarget: null,
    stepsToTarget: null,
    totalFlops: last,
    vanillaTotalFlops: 100,
    chargedEvaluations: 0,
    timing: { medianStepMs: 2, meanStepMs: 2.5, evaluationMs: null, wallMs: 100 },
    updated: { step: [0], share: [1] },
    meanUpdatedShare: 1,
    lambda: null,
    leakedTensors: 0,
    ...extra,
  };
}

/** A valid two-policy report (vanilla and MAT, one seed, two modules, accuracy). */
export function fakeReport(): Report {
  const runs = [
    fakeRun(
      'vanilla',
      1,
      { step: [0, 10, 20], flops: [0, 50, 100], metric: [0.5, 0.7, 0.8] },
      {
        flopsToTarget: 100,
        stepsToTarget: 20,
        target: 0.8,
      },
    ),
    fakeRun(
      'mat',
      1,
      { step: [0, 10, 20], flops: [0, 60, 120], metric: [0.5, 0.75, 0.85] },
      {
        flopsToTarget: 120,
        stepsToTarget: 20,
        target: 0.8,
        totalFlops: 120,
        chargedEvaluations: 2,
        timing: { medianStepMs: 2, meanStepMs: 3, evaluationMs: 5, wallMs: 120 },
        updated: { step: [0, 10], share: [1, 0.5] },
        meanUpdatedShare: 0.75,
        lambda: {
          step: [0, 10],
          lambdaMax: [
            [0.1, 0.2],
            [0.05, 0.3],
          ],
          updating: [
            [true, true],
            [false, true],
          ],
        },
      },
    ),
  ];
  const policies: PolicyName[] = ['vanilla', 'mat'];
  return {
    format: REPORT_FORMAT,
    version: REPORT_FORMAT_VERSION,
    createdAt: '2026-01-01T00:00:00.000Z',
    command: 'npm run reproduce -- --quick',
    quick: true,
    preset: { id: 'mlp-spiral', label: 'MLP · spiral' },
    metric: { name: 'accuracy', higherIsBetter: true },
    budget: {
      steps: 20,
      valEvery: 10,
      seeds: [1],
      policies,
      smoothing: { kind: 'trailing-mean', window: 1 },
      note: 'test',
    },
    baseConfig: { ...presetConfig('mlp-spiral')! },
    modules: [
      { id: 'L0.N0', kind: 'neuron', layer: 0, index: 0, params: 3 },
      { id: 'L0.N1', kind: 'neuron', layer: 0, index: 1, params: 3 },
    ],
    flops: { perVanillaStep: 5, perEvaluation: 10, perStepAllFrozen: 3 },
    environment: {
      backend: 'wasm',
      node: 'v20',
      platform: 'linux x64',
      cpus: 2,
      cpuModel: 'test',
      loadAverage: { start: 0, end: 0 },
      tfjs: '4.22.0',
      gitCommit: null,
      gitDirty: null,
    },
    wallClockMs: 1000,
    runs,
    summary: summarise(runs, policies),
    claim: null,
  };
}
