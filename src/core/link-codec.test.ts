import LZString from 'lz-string';
import { describe, expect, it } from 'vitest';
import { compressLinkText, decompressLinkText } from './link-codec';
import { createRng } from './rng';

describe('the link decoder reads lz-string’s URI-safe format, within a bound', () => {
  it('decodes 1,000 seeded texts exactly as lz-string does', () => {
    const rng = createRng(7);
    const alphabets = ['ab', 'model=mlp&events=10%3Aalpha%3A1.15%2C', null];
    for (let i = 0; i < 1000; i++) {
      const length = Math.floor(rng.next() ** 2 * 3000);
      const alphabet = alphabets[i % alphabets.length];
      let text = '';
      for (let j = 0; j < length; j++)
        // Any UTF-16 code unit (lone surrogates too) when there is no alphabet.
        text += alphabet ? alphabet[rng.int(alphabet.length)] : String.fromCharCode(rng.int(65536));
      const encoded = compressLinkText(text);
      expect(encoded).toBe(LZString.compressToEncodedURIComponent(text));
      expect(decompressLinkText(encoded, Infinity)).toEqual({ ok: true, text });
      expect(LZString.decompressFromEncodedURIComponent(encoded)).toBe(text);
    }
  });

  it('stops at the bound: exactly the cap is read, one more character is refused', () => {
    const text = 'x'.repeat(5000);
    const encoded = compressLinkText(text);
    expect(decompressLinkText(encoded, 5000)).toEqual({ ok: true, text });
    expect(decompressLinkText(encoded, 4999)).toEqual({ ok: false, reason: 'too-long' });
  });

  it('refuses what lz-string did not write: cut, edited, foreign characters, nothing', () => {
    const encoded = compressLinkText('preset=mlp-spiral&alpha=1.2');
    for (const bad of [
      encoded.slice(0, 10),
      `${encoded.slice(0, 5)}!${encoded.slice(6)}`,
      '',
      'é',
    ]) {
      expect(decompressLinkText(bad, 1e6), JSON.stringify(bad)).toEqual({
        ok: false,
        reason: 'corrupt',
      });
    }
    // A `+` that came back as a space (form encoding) is read as the `+` it was.
    const withPlus = compressLinkText('ǰab');
    expect(withPlus).toContain('+');
    expect(decompressLinkText(withPlus.replaceAll('+', ' '), 1e6)).toEqual({
      ok: true,
      text: 'ǰab',
    });
  });
});
