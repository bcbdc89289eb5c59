import type * as tf from '@tensorflow/tfjs';
import type { StepFlops } from '../flops';
import type { SpectrumInput } from '../kernel';
import type { RunFile } from '../runfile';
import type { ModuleInfo } from '../types';
import type { LabModel } from './model';
import type { Corpus } from '../data/corpus';
import type { FashionData } from '../data/fashion';
import type { Rng } from '../rng';
import { MODELS } from './descriptors';
import type { MetricInfo } from './family';

export type { MetricInfo } from './family';

/** What the probe computes, for the interface ("R random projections" vs exact). */
export interface ProbeInfo {
  /** Outputs per sample k. */
  k: number;
  /** Scalar functions s_r per sample (R'). */
  projections: number;
  exact: boolean;
}

/**
 * A model on its data: everything model-specific the Session needs. Batches are drawn from the
 * rng the Session passes in, so the Session owns the run's randomness.
 */
export interface Task {
  readonly model: LabModel;
  readonly modules: ModuleInfo[];
  readonly metric: MetricInfo;
  readonly probeInfo: ProbeInfo;
  /** One training batch as tensors (created outside the gradient tape), and its disposal. */
  sampleBatch(rng: Rng): TaskBatch;
  /** Mean training loss on a batch; called inside tf.variableGrads. */
  loss(batch: TaskBatch): tf.Scalar;
  /** Every module's n × n kernel Θ_m at the current weights, [modules, n, n] row-major. */
  kernels(): Promise<Float32Array>;
  /**
   * What the probe kernels' spectra are computed from, where a family has something cheaper
   * than `kernels()` (smaller q × q matrices, see `SpectrumInput`); absent: `kernels()`.
   */
  spectrumInput?(): Promise<SpectrumInput>;
  /**
   * The 'step' kernel (`kernel=step`, docs/method.md): the loss kernel of the batch's first n
   * samples, taken from the training step's own forward and backward on `batch`, whose
   * gradients the Session then applies for the modules its decision updates. Present in the
   * families that have it (`FamilyDescriptor.stepKernel`).
   */
  stepKernels?(batch: TaskBatch): Promise<StepProbe>;
  /**
   * Analytic FLOPs a 'step' evaluation adds to the step it is taken in when modules `updating`
   * are then updated: the taps, per-sample products, Grams and eigen-decompositions, plus what
   * that step's own pass computes beyond the step as charged (input gradients below its
   * earliest updated module).
   */
  stepEvaluationFlops?(updating: boolean[]): number;
  /** Probe batch size n. */
  readonly probeSize: number;
  /** The validation metric over the fixed validation set. */
  validate(): Promise<number>;
  /** Analytic FLOPs of one step with `updating` modules updated, by part. */
  stepFlops(updating: boolean[]): StepFlops;
  /** Analytic FLOPs of one mNTK evaluation. */
  evaluationFlops(): number;
  /** The probe as written into run files (see docs/run-format.md). */
  exportProbe(): RunFile['probe'];
  /** The model-specific view at the current weights, if the task has one. */
  view?(): Promise<ModelView>;
  /** Prefix to strip from variable names in exports. */
  exportName(variableName: string): string;
  dispose(): void;
}

/**
 * The model-specific picture next to the charts: the MLP's decision boundary, the VGG's
 * confusion matrix, the Switch-Transformer's router load. Sent after each validation.
 */
export type ModelView =
  | {
      kind: 'boundary';
      /** Grid cells per side; the grid spans [−extent, extent]², row 0 at the top. */
      resolution: number;
      extent: number;
      classes: number;
      /** Class probabilities per cell, [resolution², classes] row-major. */
      probs: Float32Array;
      /** Training and test points [N, 2] and their labels. */
      train: { x: Float32Array; y: Int32Array };
      test: { x: Float32Array; y: Int32Array };
    }
  | {
      kind: 'confusion';
      classes: string[];
      /** counts [true, predicted] row-major */ matrix: Int32Array;
    }
  | {
      kind: 'router';
      /** Tokens routed to each expert on the probe batch (after capacity), per module id. */
      load: Record<string, number>;
      /** Tokens each layer routes (n · T); those no expert took were dropped by capacity. */
      tokensPerLayer: number;
      /** Tokens an expert may take per layer, ⌈c · n · T / E⌉. */
      capacity: number;
    };

export interface TaskBatch {
  tensors: tf.Tensor[];
}

/**
 * A training step under way at an evaluation with the 'step' kernel: its forward and backward
 * have run (with taps), the kernel is taken, and the update waits for the decision.
 */
export interface StepProbe {
  /** The modules' loss kernels on the batch's first n samples, as spectrum input. */
  spectrum: SpectrumInput;
  /** The batch's mean training loss; the caller owns it (`dispose` leaves it alone). */
  loss: tf.Scalar;
  /**
   * Gradients of the batch-mean loss for `vars` (the backbone's and any modules'), in order,
   * exactly as a plain training step computes them; the caller disposes them (call it inside
   * a tf.tidy). A module's weight gradient is computed only when asked for.
   */
  gradients(vars: tf.Variable[]): tf.Tensor[];
  /** Frees what the step kept (captured activations, tap and backbone gradients). */
  dispose(): void;
}

/**
 * A variable's name in exports: without the per-instance model prefix (`bert3/`, `vgg0/`, …;
 * TF.js needs unique names per engine) and without the `#n` uniqueness suffix.
 */
export function exportVariableName(name: string): string {
  return name.replace(MODEL_PREFIX, '').replace(/#\d+$/, '');
}

/** `<family><instance>/` at the start of a variable name (see `VariableFactory`). */
const MODEL_PREFIX = new RegExp(`^(${MODELS.join('|')})[0-9a-z]+/`);

/** Data a task may need, loaded by the host (fetch in the browser, fs in Node). */
export interface TaskData {
  corpus?: Corpus | null;
  fashion?: FashionData | null;
}
