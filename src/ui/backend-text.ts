/** The backend badge's words: what runs, on which adapter, and any fallback, never hidden. */
import type { BackendView } from '../store/run-slice';

const NAMES: Record<string, string> = {
  webgpu: 'WebGPU',
  webgl: 'WebGL',
  wasm: 'WASM',
  cpu: 'CPU',
};

export interface BackendText {
  /** Main line, e.g. "WebGPU · nvidia · ampere (software)" or "WASM fallback: …". */
  text: string;
  /** `ok`: the requested GPU backend on hardware; `warn`: a software adapter or a fallback. */
  tone: 'ok' | 'warn' | 'pending';
}

export function backendText(b: BackendView | null): BackendText {
  if (!b) return { text: 'Starting backend…', tone: 'pending' };
  const name = NAMES[b.backend] ?? b.backend;
  if (b.fallbackReason) return { text: `${name} fallback: ${b.fallbackReason}`, tone: 'warn' };
  if (b.backend === 'webgpu') {
    const adapter = b.adapter ? ` · ${b.adapter}` : '';
    // The kernels in use, when the trainer said: the lab's fused ones or TF.js's composed ops.
    const kernels =
      b.fused === undefined ? '' : b.fused ? ' · fused kernels' : ' · composed ops (fused=0)';
    return b.isFallbackAdapter
      ? { text: `${name}${adapter} (software)${kernels}`, tone: 'warn' }
      : { text: `${name}${adapter}${kernels}`, tone: 'ok' };
  }
  const requested = b.requested === b.backend ? ' (requested)' : '';
  return { text: `${name}${requested}`, tone: b.backend === 'cpu' ? 'warn' : 'ok' };
}
