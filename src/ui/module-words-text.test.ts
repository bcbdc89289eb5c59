import { createElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { explainMat, matRules } from '../core/policies/explain';
import { policyParams } from '../core/policies/types';
import { presetConfig } from '../core/presets';
import { DEFAULT_CONFIG } from '../core/config';
import { KernelText } from './KernelText';

/** Issue 9: an MLP run must not speak of heads. */
describe('the explanation uses the run’s module words', () => {
  const mlp = presetConfig('mlp-circles')!;
  const params = policyParams(mlp);

  it('an MLP compares neurons with neurons', () => {
    const words = matRules(params, ['neuron', 'neuron'])[1]!.words;
    expect(words).toContain('(neurons are compared with neurons)');
    expect(words).not.toMatch(/head/);
    const ex = explainMat({
      params,
      step: 50,
      refs: new Map([['neuron', 1]]),
      modules: [{ id: 'L0.N0', kind: 'neuron', lambdaMax: 2, relChange: null }],
    });
    expect(ex.rules[1]!.words).toContain('neurons are compared with neurons');
  });

  it('a Switch Transformer lists both of its kinds; without kinds the words are general', () => {
    expect(matRules(params, ['head', 'expert', 'head'])[1]!.words).toContain(
      '(attention heads are compared with attention heads, experts with experts)',
    );
    expect(matRules(params)[1]!.words).toContain('(each kind is compared only with its own kind)');
  });

  it('the kernel text says over which modules ref is taken', () => {
    const html = (cfg: typeof mlp) =>
      renderToStaticMarkup(createElement(KernelText, { cfg, probe: null }));
    expect(html(mlp)).toContain('ref = mean over the neurons');
    expect(html(mlp)).not.toMatch(/heads/);
    expect(html(DEFAULT_CONFIG)).toContain('over the heads');
  });
});
