import { describe, expect, it } from 'vitest';
import { FAMILIES } from '../core/families/descriptors';
import { moduleWords } from './model-words';

describe('moduleWords', () => {
  it('gives each family its own words with the default modules', () => {
    expect(moduleWords('bert')).toEqual(FAMILIES.bert.moduleWords);
    expect(moduleWords('switch', 'heads')).toEqual(FAMILIES.switch.moduleWords);
    expect(moduleWords('vgg', 'heads')).toEqual(FAMILIES.vgg.moduleWords);
  });

  it('names every selected kind when a transformer has FFN blocks or embeddings as modules', () => {
    expect(moduleWords('bert', 'heads,ffn,embed')).toEqual({
      one: 'module',
      many: 'modules (attention heads, FFN blocks, embeddings)',
      rows: 'layer·head, layer·F, Emb',
    });
    // Switch's FFN blocks are its experts: `ffn` adds nothing there.
    expect(moduleWords('switch', 'heads,ffn')).toEqual(FAMILIES.switch.moduleWords);
    expect(moduleWords('switch', 'heads,embed').many).toBe(
      'modules (attention heads, experts, embeddings)',
    );
  });

  it('names the VGG’s classifier unit groups when it has classifier stages', () => {
    expect(moduleWords('vgg', 'heads', 'none')).toEqual(FAMILIES.vgg.moduleWords);
    expect(moduleWords('vgg', 'heads', '64')).toEqual({
      one: 'module',
      many: 'modules (filter groups, classifier unit groups)',
      rows: 'conv layer·group, layer·U',
    });
  });
});
