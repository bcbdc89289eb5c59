import type { Policy } from './types';
import { applyOverrides, everyModule } from './common';

/** The baseline: every module is updated at every step (manual overrides still apply). */
export const vanillaPolicy: Policy = {
  name: 'vanilla',
  label: 'Vanilla',
  description: 'Every module is trained at every step. The baseline that MAT is compared with.',
  needsKernel: false,
  decide: (input) =>
    applyOverrides(input.modules, everyModule(input.modules, 'all'), input.overrides),
};
