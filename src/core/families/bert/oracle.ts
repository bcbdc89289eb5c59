import type { Probe } from '../transformer/kernel';
import { oracleMlmKernels } from '../transformer/oracle';
import type { TinyBert } from './model';

/**
 * The oracle for TinyBert's modules (heads, and FFN blocks and embeddings when they are
 * modules): every sample's forward with all heads in one group, one backward pass per sample
 * and scalar function to each module's own variables (`oracleMlmKernels`).
 */
export function oracleBertKernels(model: TinyBert, probe: Probe, vocab: number): Float64Array {
  return oracleMlmKernels(model, probe, vocab, (_, input) =>
    model.forward(input, { allHeads: true }),
  );
}
