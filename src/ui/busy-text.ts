import type { BusyInfo } from '../protocol/messages';
import { formatCount } from '../report/format';

/**
 * What a step running for more than a second is doing, in words: the first step on WebGPU
 * compiles every shader program it uses (counted as TF.js caches them); later ones may compile
 * a few (a new shape) or just compute.
 */
export function busyText(b: BusyInfo): string {
  const s = `${Math.floor(b.ms / 1000)} s`;
  if (b.newKernels > 0 && b.step === 0)
    return `compiling shaders: the first step on WebGPU compiles every kernel it uses — ${b.kernels ?? b.newKernels} compiled so far, ${s}`;
  if (b.newKernels > 0)
    return `step ${formatCount(b.step + 1)}: compiling ${b.newKernels} new kernels, ${s}`;
  return `step ${formatCount(b.step + 1)} running for ${s}`;
}
