import type { ExperimentConfig } from '../config';
import type { ModuleKind } from './module-kinds';

/** The validation metric of a task, and which direction is better. */
export interface MetricInfo {
  name: 'perplexity' | 'accuracy';
  higherIsBetter: boolean;
}

/** Validation perplexity: the masked-language models' metric. */
export const PERPLEXITY = {
  name: 'perplexity',
  higherIsBetter: false,
} as const satisfies MetricInfo;
/** Validation accuracy: the classifiers' metric. */
export const ACCURACY = { name: 'accuracy', higherIsBetter: true } as const satisfies MetricInfo;

/** What every classifier shares: its metric and loss. */
export const CLASSIFIER = { metric: ACCURACY, lossWords: 'Cross-entropy' } as const;

/** A ready-made experiment: model, data, sizes and policy defaults, with what to watch for. */
export interface Preset {
  id: string;
  label: string;
  /** One paragraph for the interface: what the experiment shows and what to look at. */
  explanation: string;
  config: Partial<ExperimentConfig>;
}

/** Config fields that only some families read (the form shows them for those families). */
export const FAMILY_FIELDS = [
  'layers',
  'heads',
  'dModel',
  'dFF',
  'experts',
  'capacity',
  'modules',
  'hidden',
  'activation',
  'features',
  'channels',
  'groupSize',
  'fc',
  'seqLen',
  'vocab',
  'points',
  'noise',
  'testRatio',
  'images',
  'valBatches',
] as const;
export type FamilyField = (typeof FAMILY_FIELDS)[number];

/**
 * What the rest of the lab knows about a model family — plain data, no TF.js, so the interface
 * thread, the URL codec and the run-file schema can read it without loading the models. The
 * family's code (model, fast kernel, oracle, FLOPs, task) is registered in `families/index.ts`.
 */
export interface FamilyDescriptor<Id extends string = string, Data extends string = string> {
  /** The `model` value of configs and URLs; also the prefix of the family's variable names. */
  id: Id;
  /** The model in words, e.g. "tiny BERT (masked LM)". */
  label: string;
  /** Data sets the family trains on; the first is its default. */
  data: readonly Data[];
  /** What the host must load before the task is built. */
  dataKind: 'corpus' | 'fashion' | 'none';
  /** The validation metric. */
  metric: MetricInfo;
  /** What the training loss is, in words. */
  lossWords: string;
  /** The kinds its MAT modules can have (a run's config picks among them, e.g. `modules`). */
  moduleKinds: readonly ModuleKind[];
  /** Its modules in words: one, several, and what a row label means. */
  moduleWords: { one: string; many: string; rows: string };
  /**
   * Its model view beside the charts, when its task has one (`Task.view`): the MLP's decision
   * boundary, the VGG's confusion matrix, the Switch Transformer's router load.
   */
  viewKind?: 'boundary' | 'confusion' | 'router';
  /** The family-specific config fields it reads. */
  fields: readonly FamilyField[];
  /** Its presets. */
  presets: readonly Preset[];
  /**
   * Whether its task computes the 'step' kernel (`kernel=step`: the loss kernel taken from the
   * training step's own forward and backward, docs/method.md); absent: it does not (yet).
   */
  stepKernel?: boolean;
}
