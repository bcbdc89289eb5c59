/** Short explanations of the lab's terms, shown where each first appears (`Term`). */

/** The id of the "How MAT decides" panel; each explanation links to it. */
export const EXPLAIN_ID = 'how-mat-decides';

export const TERMS = {
  mntk: {
    name: 'mNTK',
    text:
      'The modular neural tangent kernel: for one module, an n × n matrix over n probe samples ' +
      'whose entry (i, j) is the inner product of the outputs’ gradients with respect to that ' +
      'module’s weights at samples i and j. It describes how training this module alone moves ' +
      'the outputs.',
  },
  lambdaMax: {
    name: 'λmax',
    text:
      'The largest eigenvalue of a module’s mNTK: roughly how far one gradient step through ' +
      'that module can move the outputs. MAT keeps training the modules whose λmax is high ' +
      'compared with their kind and still changing.',
  },
  effRank: {
    name: 'effective rank',
    text:
      'How many directions a module’s kernel really uses: exp of the entropy of its normalised ' +
      'eigenvalues. 1 means one direction dominates; n means all n are equal.',
  },
  warmup: {
    name: 'warm-up',
    text:
      'The first W0 steps of a run: every module trains and no policy decides yet, so the ' +
      'kernels are measured on a network that has started to learn.',
  },
  evaluation: {
    name: 'evaluation',
    text:
      'Every K steps the lab computes each module’s mNTK and its λmax; the policy then decides ' +
      'which modules train until the next evaluation. MAT is charged for the FLOPs it costs.',
  },
} as const satisfies Record<string, { name: string; text: string }>;

export type TermName = keyof typeof TERMS;
