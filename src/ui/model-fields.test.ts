import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../core/config';
import { applyDraft, editDraft, fieldsFor } from './model-fields';

describe('applyDraft', () => {
  it('applies typed numbers and options', () => {
    const r = applyDraft(DEFAULT_CONFIG, { layers: '3', backend: 'wasm', lr: '0.001' });
    expect(r).toEqual({
      ok: true,
      config: { ...DEFAULT_CONFIG, layers: 3, backend: 'wasm', lr: 0.001 },
    });
  });
  it('reports out-of-range values and cross-field rules as sentences', () => {
    const r = applyDraft(DEFAULT_CONFIG, { layers: '99', heads: '3' });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.problems.some((p) => p.startsWith('layers:'))).toBe(true);
    }
    const c = applyDraft(DEFAULT_CONFIG, { heads: '3' });
    expect(c.ok).toBe(false);
    if (!c.ok) expect(c.problems.join(' ')).toContain('divisible');
  });
  it('rejects an empty number', () => {
    expect(applyDraft(DEFAULT_CONFIG, { batch: '' }).ok).toBe(false);
  });
});

describe('model-dependent fields', () => {
  it('shows each model its own fields and data sets', () => {
    const keys = (m: Parameters<typeof fieldsFor>[0]) =>
      fieldsFor(m).flatMap((g) => g.fields.map((f) => f.key));
    expect(keys('bert')).toContain('heads');
    expect(keys('bert')).not.toContain('hidden');
    expect(keys('mlp')).toContain('hidden');
    expect(keys('mlp')).not.toContain('heads');
    const data = fieldsFor('vgg')
      .flatMap((g) => g.fields)
      .find((f) => f.key === 'data');
    expect(data?.options).toEqual(['fashion']);
  });
  it('picks a fitting data set when the model changes', () => {
    const d = editDraft(DEFAULT_CONFIG, {}, 'model', 'mlp');
    expect(d.data).toBe('spiral');
    const r = applyDraft(DEFAULT_CONFIG, d);
    expect(r.ok).toBe(true);
  });

  it('offers shared parts in the modules select for BERT and the Switch Transformer', () => {
    const options = (model: 'bert' | 'switch') =>
      fieldsFor(model)
        .flatMap((g) => g.fields)
        .find((f) => f.key === 'modules')!.options!;
    expect(options('bert')).toContain('heads,ffn,embed,shared');
    expect(options('switch')).toContain('heads,embed,shared');
    // Every list the form offers for Switch is one the config accepts.
    for (const modules of options('switch')) {
      const r = applyDraft(DEFAULT_CONFIG, { model: 'switch', modules });
      expect(r.ok, modules).toBe(true);
    }
  });
});
