import { describe, expect, it } from 'vitest';
import {
  DataError,
  MASK,
  NUM_SPECIAL,
  PAD,
  SEP,
  UNK,
  capVocab,
  decode,
  encode,
  parseCorpus,
} from './corpus';
import type { Corpus, CorpusFiles } from './corpus';
import { detokenize, tokenize } from './tokenizer';
import { parseJson, publicDataReader, sha256, toArrayBuffer } from '../../node/testing';

const read = publicDataReader('austen');

interface Meta {
  splits: Record<'train' | 'val' | 'test', { tokens: number; sha256: string }>;
  vocabSize: number;
  vocabSha256: string;
}
const meta = parseJson<Meta>(read('meta.json'));

function files(): CorpusFiles {
  return {
    vocabJson: read('vocab.json').toString('utf8'),
    train: toArrayBuffer(read('train.bin')),
    val: toArrayBuffer(read('val.bin')),
    test: toArrayBuffer(read('test.bin')),
  };
}

const SPLITS = ['train', 'val', 'test'] as const;

describe('committed Austen corpus', () => {
  const corpus: Corpus = parseCorpus(files());

  it('has the specials at fixed ids and the recorded vocabulary size', () => {
    expect([PAD, UNK, MASK, SEP, NUM_SPECIAL]).toEqual([0, 1, 2, 3, 4]);
    expect(corpus.vocab.slice(0, 4)).toEqual(['[PAD]', '[UNK]', '[MASK]', '[SEP]']);
    expect(corpus.vocab.length).toBe(meta.vocabSize);
    expect(corpus.vocab.length).toBeLessThanOrEqual(8192);
  });

  it('matches the checksums and token counts in meta.json', () => {
    expect(sha256(read('vocab.json'))).toBe(meta.vocabSha256);
    for (const s of SPLITS) {
      expect(sha256(read(`${s}.bin`))).toBe(meta.splits[s].sha256);
      expect(corpus[s].length).toBe(meta.splits[s].tokens);
    }
  });

  it('has non-empty splits with every id inside the vocabulary', () => {
    for (const s of SPLITS) {
      expect(corpus[s].length).toBeGreaterThan(0);
      expect(corpus[s].reduce((m, id) => Math.max(m, id), 0)).toBeLessThan(corpus.vocab.length);
      expect(corpus[s].includes(PAD)).toBe(false);
      expect(corpus[s].includes(MASK)).toBe(false);
    }
    expect(corpus.train.length).toBeGreaterThan(10 * corpus.val.length);
  });

  it('orders the vocabulary by descending train count, ties alphabetically', () => {
    const { tokens, counts } = parseJson<{ tokens: string[]; counts: number[] }>(
      read('vocab.json'),
    );
    expect(counts.slice(0, NUM_SPECIAL)).toEqual([0, 0, 0, 0]);
    const actual = new Map<number, number>();
    for (const id of corpus.train) actual.set(id, (actual.get(id) ?? 0) + 1);
    for (let i = NUM_SPECIAL; i < tokens.length; i++) {
      expect(actual.get(i)).toBe(counts[i]);
      if (i > NUM_SPECIAL) {
        const [pc, c] = [counts[i - 1]!, counts[i]!];
        expect(pc > c || (pc === c && tokens[i - 1]! < tokens[i]!)).toBe(true);
      }
    }
  });

  it('re-encodes decoded validation and test text to the same ids (one shared tokeniser)', () => {
    for (const s of ['val', 'test'] as const) {
      expect(encode(decode(corpus[s], corpus.vocab), corpus.vocab)).toEqual([...corpus[s]]);
    }
  });

  it('round-trips a sample sentence to its lowercased, normalised form', () => {
    const x = '"I don\'t know," said she -- "perhaps to-morrow; Mr. Darcy\'s horse!"';
    const ids = encode(x, corpus.vocab);
    expect(ids).not.toContain(UNK);
    expect(decode(ids, corpus.vocab)).toBe(x.toLowerCase());
    expect(
      decode(encode('It is a truth universally acknowledged.', corpus.vocab), corpus.vocab),
    ).toBe('it is a truth universally acknowledged.');
    expect(decode(encode('the zyzzyvaqux [MASK]', corpus.vocab), corpus.vocab)).toBe(
      'the [UNK] [MASK]',
    );
  });
});

describe('tokenizer', () => {
  it('splits words, numbers, dashes and punctuation', () => {
    expect(
      tokenize("_Very_ well--they'd paid £20,000 (1811) for good-humoured “Bingley’s” [MASK]."),
    ).toEqual([
      'very',
      'well',
      '--',
      "they'd",
      'paid',
      '£',
      '20,000',
      '(',
      '1811',
      ')',
      'for',
      'good-humoured',
      '"',
      "bingley's",
      '"',
      '[MASK]',
      '.',
    ]);
    expect(tokenize('[mask] — ok')).toEqual(['[', 'mask', ']', '--', 'ok']);
  });

  it('detokenizes to text that tokenizes back to the same tokens', () => {
    const samples = [
      "'Tis a pity, said he; 'tis the Miss Bertrams' way -- (she knew it) -- 5, 6. [SEP] \"Oh!\"",
      '""\'\' ( [ £ - -- ? a-b a - b',
    ];
    for (const s of samples) expect(tokenize(detokenize(tokenize(s)))).toEqual(tokenize(s));
  });
});

describe('parseCorpus validation', () => {
  const vocabJson = JSON.stringify({ tokens: ['[PAD]', '[UNK]', '[MASK]', '[SEP]', 'a', 'b'] });
  const ids = (...xs: number[]): ArrayBuffer => new Uint16Array(xs).buffer;
  const good: CorpusFiles = { vocabJson, train: ids(4, 5, 3, 4), val: ids(5), test: ids(4) };

  it('accepts a well-formed small corpus', () => {
    const c = parseCorpus(good);
    expect([...c.train]).toEqual([4, 5, 3, 4]);
    expect(c.vocab.length).toBe(6);
  });

  const bad: [string, Partial<CorpusFiles>][] = [
    ['an odd byte length', { train: new Uint8Array([4, 0, 5]).buffer }],
    ['an id beyond the vocabulary', { val: ids(4, 6) }],
    ['an empty split', { test: new ArrayBuffer(0) }],
    ['invalid JSON', { vocabJson: '{tokens:' }],
    ['JSON without tokens', { vocabJson: '{"words": []}' }],
    ['non-string tokens', { vocabJson: '{"tokens": ["[PAD]", "[UNK]", "[MASK]", "[SEP]", 7]}' }],
    ['misplaced specials', { vocabJson: '{"tokens": ["[UNK]", "[PAD]", "[MASK]", "[SEP]", "a"]}' }],
    [
      'duplicate tokens',
      { vocabJson: '{"tokens": ["[PAD]", "[UNK]", "[MASK]", "[SEP]", "a", "a"]}' },
    ],
    [
      'mismatched counts',
      { vocabJson: '{"tokens": ["[PAD]", "[UNK]", "[MASK]", "[SEP]"], "counts": [0]}' },
    ],
    ['a JSON array', { vocabJson: '[]' }],
  ];
  it.each(bad)('rejects %s with a DataError sentence', (_name, patch) => {
    let caught: unknown;
    try {
      parseCorpus({ ...good, ...patch });
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DataError);
    expect((caught as DataError).name).toBe('DataError');
    expect((caught as DataError).message).toMatch(/^[A-Z].*\.$/);
  });
});

describe('capVocab', () => {
  it('maps ids at or above the cap to UNK and returns a new array', () => {
    const src = new Uint16Array([0, 3, 4, 9, 10, 11, 8191]);
    const capped = capVocab(src, 10);
    expect([...capped]).toEqual([0, 3, 4, 9, UNK, UNK, UNK]);
    expect(capped).not.toBe(src);
    expect([...src]).toEqual([0, 3, 4, 9, 10, 11, 8191]);
    expect(() => capVocab(src, NUM_SPECIAL)).toThrow(RangeError);
  });
});
