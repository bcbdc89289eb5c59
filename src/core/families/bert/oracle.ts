import type { Probe } from '../transformer/kernel';
import { oracleMlmKernels } from '../transformer/oracle';
import type { TinyBert } from './model';

/** The oracle for TinyBert's heads: every sample's forward with all heads in one group. */
export function oracleHeadKernels(model: TinyBert, probe: Probe, vocab: number): Float64Array {
  return oracleMlmKernels(model, probe, vocab, (_, input) =>
    model.forward(input, { allHeads: true }),
  );
}
