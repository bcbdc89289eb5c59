/** Test helpers: a fake Trainer that records calls and lets a test push messages. */
import type { ExperimentConfig, LiveParam } from '../core/config';
import type { FlopSplits } from '../core/flops';
import type { RunFile } from '../core/runfile';
import { presetConfig } from '../core/presets';
import type { ManualOverride, ModuleInfo } from '../core/types';
import type { Trainer } from '../client/trainer';
import type { FromWorker } from '../protocol/messages';
import { PROTOCOL_VERSION } from '../protocol/messages';

export class FakeTrainer implements Trainer {
  readonly where = 'worker' as const;
  readonly calls: string[] = [];
  readonly inits: ExperimentConfig[] = [];
  readonly params: [LiveParam, number][] = [];
  exportAnswer: RunFile | null = null;
  private listeners = new Set<(msg: FromWorker) => void>();

  init(config: ExperimentConfig): void {
    this.calls.push('init');
    this.inits.push(config);
  }
  play(): void {
    this.calls.push('play');
  }
  pause(): void {
    this.calls.push('pause');
  }
  step(count: number): void {
    this.calls.push(`step ${count}`);
  }
  setParam(name: LiveParam, value: number): void {
    this.calls.push(`setParam ${name}`);
    this.params.push([name, value]);
  }
  override(id: string, mode: ManualOverride | null): void {
    this.calls.push(`override ${id} ${String(mode)}`);
  }
  exportRun(): Promise<RunFile> {
    return this.exportAnswer ? Promise.resolve(this.exportAnswer) : new Promise(() => undefined);
  }
  subscribe(listener: (msg: FromWorker) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
  dispose(): void {
    this.calls.push('dispose');
  }
  emit(msg: FromWorker): void {
    for (const l of this.listeners) l(msg);
  }
}

export const MODULES: ModuleInfo[] = [
  { id: 'L0.H0', kind: 'head', layer: 0, index: 0, params: 10 },
  { id: 'L0.H1', kind: 'head', layer: 0, index: 1, params: 10 },
];

export function readyMsg(config: ExperimentConfig, modules: ModuleInfo[] = MODULES): FromWorker {
  return {
    type: 'ready',
    version: PROTOCOL_VERSION,
    backend: {
      backend: 'webgpu',
      requested: 'auto',
      adapter: 'test · gpu',
      isFallbackAdapter: false,
      fallbackReason: null,
    },
    config,
    modules,
    flopsPerVanillaStep: 100,
    flopsPerEvaluation: 50,
    evaluationFlops: 50,
    probeOutputs: { k: 100, projections: 4, exact: false },
    metric: { name: 'perplexity', higherIsBetter: false },
  };
}

export function metricsMsg(
  from: number,
  losses: number[],
  flopsPerStep = 80,
  vanillaPerStep = 100,
  split: FlopSplits | null = null,
): FromWorker {
  const n = losses.length;
  return {
    type: 'metrics',
    batch: {
      steps: Int32Array.from({ length: n }, (_, i) => from + i),
      loss: Float32Array.from(losses),
      flops: Float64Array.from({ length: n }, (_, i) => (from + i) * flopsPerStep),
      vanillaFlops: Float64Array.from({ length: n }, (_, i) => (from + i) * vanillaPerStep),
      split,
    },
    medianStepMs: 12,
  };
}

export function evaluationMsg(step: number, lambda: number[], updating: boolean[]): FromWorker {
  return {
    type: 'evaluation',
    evaluation: {
      step,
      lambdaMax: Float64Array.from(lambda),
      spectra: Float64Array.from(lambda.flatMap((l) => [l, l / 2])),
      effRank: Float64Array.from(lambda.map(() => 1.5)),
      updating: Uint8Array.from(updating, (u) => (u ? 1 : 0)),
      reasons: updating.map((u) => (u ? 'active' : 'frozen-alpha')),
      ms: 3,
    },
  };
}

/** A small MLP run file (version 1: no evaluation at export needed). */
export function mlpRunFile(extra: Partial<RunFile> = {}): RunFile {
  return {
    format: 'mat-lab-run',
    version: 1,
    createdAt: '2026-01-01T00:00:00.000Z',
    // One neuron on four features: the module and weights the import checks expect.
    config: { ...presetConfig('mlp-circles')!, hidden: '1' },
    backend: { backend: 'webgpu', adapter: 'test', isFallbackAdapter: false },
    modules: [{ id: 'L0.N0', kind: 'neuron', layer: 0, index: 0, params: 5 }],
    events: [],
    metrics: { step: [1, 2], loss: [0.7, 0.6], flops: [10, 20], vanillaFlops: [5, 10] },
    validation: { step: [2], perplexity: [0.8] },
    metric: { name: 'accuracy', higherIsBetter: true },
    flops: { perVanillaStep: 5, perEvaluation: 3 },
    probeOutputs: { k: 2, projections: 2, exact: true },
    evaluations: [
      {
        step: 0,
        lambdaMax: [1],
        spectra: [[1, 0.5]],
        effRank: [1.8],
        updating: [true],
        reasons: ['warmup'],
      },
    ],
    probe: {
      inputs: [0],
      positions: [0],
      targets: [0],
      n: 2,
      seqLen: 1,
      masked: 1,
      projections: [],
      numProjections: 1,
      weight: 1,
      kernel: 'trace',
    },
    weights: [{ name: 'L0.N0', shape: [5], values: [0, 0, 0, 0, 0] }],
    step: 2,
    ...extra,
  };
}
