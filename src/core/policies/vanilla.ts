import { everyModule } from './common';
import type { Policy } from './types';

/** The baseline: every module is updated at every step. */
export const vanillaPolicy: Policy<'vanilla'> = {
  name: 'vanilla',
  label: 'Vanilla',
  shortLabel: 'vanilla',
  description: 'Every module is trained at every step. The baseline that MAT is compared with.',
  needsKernel: false,
  decide: (input) => everyModule(input.modules, 'all'),
  reasons: ['all'],
  plot: { colour: '#374151', dash: '' },
  sliderNote: 'Vanilla trains every module: α and β have no effect on it.',
  explainNote: ({ one }) => ({
    lead: 'This run is vanilla:',
    text:
      `every ${one} trains every step. λmax is still computed so you can watch it, and its cost ` +
      'is not charged to vanilla. The rules below are what MAT would apply.',
  }),
  // Its decisions never change: one evaluation, at step 0.
  equivalentK: (_base, steps, maxK) => Math.min(maxK, Math.max(1, steps)),
};
