/**
 * The compressed form of a long link (`#x=…`, README "The shareable URL"): lz-string's URI-safe
 * encoding (6 bits per character from `A–Z a–z 0–9 + - $`), so it needs no percent-escaping.
 *
 * Compression is lz-string's. Decompression is this file's, in lz-string's format, for one
 * reason: lz-string's own decoder has no bound on what it writes, and a short hostile fragment
 * can ask for an enormous text (LZ codes that each repeat the longest entry so far: an 11 KB
 * fragment expands to 16 million characters in 0.1 s, a 48 KB one to about 300 million, which
 * ends the tab). This decoder stops as soon as the text would pass `maxChars`; its work and
 * memory are bounded by the fragment's length plus `maxChars`. A test decodes lz-string's output
 * for 1,000 seeded random texts and compares with lz-string's own decoder.
 */
import LZString from 'lz-string';

/** The 64 characters of lz-string's URI-safe encoding, in value order. */
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$';
/** Character code → 6-bit value, -1 for characters outside the alphabet. */
const VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) VALUE[ALPHABET.charCodeAt(i)] = i;

/** `text` compressed, in characters that are safe in a URL fragment as they are. */
export function compressLinkText(text: string): string {
  return LZString.compressToEncodedURIComponent(text);
}

export type LinkDecode =
  | { ok: true; text: string }
  /** `corrupt`: not lz-string output (cut, edited or not compressed); `too-long`: over the cap. */
  | { ok: false; reason: 'corrupt' | 'too-long' };

const CORRUPT: LinkDecode = { ok: false, reason: 'corrupt' };
const TOO_LONG: LinkDecode = { ok: false, reason: 'too-long' };

/**
 * The text `compressLinkText` compressed into `encoded`, if it has at most `maxChars`
 * characters. Never throws.
 */
export function decompressLinkText(encoded: string, maxChars: number): LinkDecode {
  // A `+` that travelled through form encoding arrives as a space (lz-string reads it back too).
  const input = encoded.replaceAll(' ', '+');
  let index = 0;
  let value = 0;
  /** The next bit to read of `value` (lz-string reads the most significant first). */
  let mask = 0;
  /** `n` bits, the first read as the least significant; -1 past the end or on a bad character. */
  const read = (n: number): number => {
    let bits = 0;
    for (let p = 0; p < n; p++) {
      if (mask === 0) {
        if (index >= input.length) return -1;
        const code = input.charCodeAt(index++);
        value = code < 128 ? VALUE[code]! : -1;
        if (value < 0) return -1;
        mask = 32;
      }
      if (value & mask) bits |= 1 << p;
      mask >>= 1;
    }
    return bits;
  };
  /** A literal: code 0 is an 8-bit character, 1 a 16-bit one. */
  const literal = (code: number): string | null => {
    const c = read(code === 0 ? 8 : 16);
    return c < 0 ? null : String.fromCharCode(c);
  };

  // Codes 0, 1, 2 are control codes (8-bit literal, 16-bit literal, end); entries start at 3.
  const dictionary: string[] = ['', '', ''];
  let enlargeIn = 4;
  let numBits = 3;
  const first = read(2);
  if (first === 2) return { ok: true, text: '' };
  if (first !== 0 && first !== 1) return CORRUPT;
  let w = literal(first);
  if (w === null) return CORRUPT;
  dictionary.push(w);
  const out = [w];
  let total = w.length;
  if (total > maxChars) return TOO_LONG;
  for (;;) {
    let c = read(numBits);
    if (c < 0) return CORRUPT;
    if (c === 2) return { ok: true, text: out.join('') };
    if (c === 0 || c === 1) {
      const ch = literal(c);
      if (ch === null) return CORRUPT;
      dictionary.push(ch);
      c = dictionary.length - 1;
      if (--enlargeIn === 0) enlargeIn = 2 ** numBits++;
    }
    let entry: string;
    if (c < dictionary.length) entry = dictionary[c]!;
    else if (c === dictionary.length) entry = w + w.charAt(0);
    else return CORRUPT;
    total += entry.length;
    if (total > maxChars) return TOO_LONG;
    out.push(entry);
    dictionary.push(w + entry.charAt(0));
    w = entry;
    if (--enlargeIn === 0) enlargeIn = 2 ** numBits++;
  }
}
