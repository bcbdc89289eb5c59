/**
 * The model families the lab knows, as plain data (see `FamilyDescriptor`): every list of
 * models, data sets, module kinds, metrics and form fields elsewhere derives from this one. A new
 * family is a folder with its descriptor, one line here and one line in `families/index.ts`.
 */
import { bertFamily } from './bert/descriptor';
import type { FamilyDescriptor, FamilyField, Preset } from './family';
import { mlpFamily } from './mlp/descriptor';
import { switchFamily } from './switch/descriptor';
import { vggFamily } from './vgg/descriptor';

const FAMILY_LIST = [bertFamily, switchFamily, mlpFamily, vggFamily] as const;

type Family = (typeof FAMILY_LIST)[number];
/** Which model family the lab trains. */
export type ModelName = Family['id'];
/** A data set of any family. */
export type DatasetName = Family['data'][number];

/** A record over every family, `f` of each. */
function byName<T>(f: (family: Family) => T): { readonly [M in ModelName]: T } {
  const out = {} as Record<ModelName, T>;
  for (const family of FAMILY_LIST) out[family.id] = f(family);
  return out;
}

/** Every family by name. */
export const FAMILIES: { readonly [M in ModelName]: FamilyDescriptor<ModelName, DatasetName> } =
  byName((f) => f);

/** Family names in registry order (the Model select lists them in this order). */
export const MODELS = FAMILY_LIST.map((f) => f.id) as [ModelName, ...ModelName[]];

/** Every data set, each once, in registry order. */
export const DATASETS = [...new Set(FAMILY_LIST.flatMap((f) => f.data))] as [
  DatasetName,
  ...DatasetName[],
];

/** The data sets each model can train on; the first is its default. */
export const MODEL_DATA: { readonly [M in ModelName]: readonly DatasetName[] } = byName(
  (f) => f.data,
);

/** The models whose task computes the 'step' kernel (`FamilyDescriptor.stepKernel`). */
export const STEP_KERNEL_MODELS: readonly ModelName[] = FAMILY_LIST.filter(
  (f: FamilyDescriptor) => f.stepKernel === true,
).map((f) => f.id as ModelName);

/** Every preset of every family, in registry order. */
export const PRESETS: readonly Preset[] = FAMILY_LIST.flatMap((f) => f.presets);

/** Config fields some family reads, for the form: shown only for the families that list them. */
export function familiesReading(field: FamilyField): ModelName[] {
  return FAMILY_LIST.filter((f) => (f.fields as readonly FamilyField[]).includes(field)).map(
    (f) => f.id,
  );
}

/** The descriptor of `model`; a name this build does not know (an old file) gets undefined. */
export function familyOf(model: string): FamilyDescriptor | undefined {
  return (FAMILIES as Readonly<Record<string, FamilyDescriptor>>)[model];
}
