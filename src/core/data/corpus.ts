import { SPECIAL_TOKENS, detokenize, tokenize } from './tokenizer';

/** Padding id; never produced by the corpus builder, reserved for ragged batches. */
export const PAD = 0;
/** Unknown-word id: out-of-vocabulary words and every id ≥ the vocabulary cap V. */
export const UNK = 1;
/** The id that replaces a masked input token under the BERT 80/10/10 rule. */
export const MASK = 2;
/** Separator id, inserted between consecutive chapters of a split. */
export const SEP = 3;
/** Number of special ids; ordinary words have ids NUM_SPECIAL … vocab.length − 1. */
export const NUM_SPECIAL = 4;

/** A malformed or inconsistent data file; the message is a sentence fit to show a user. */
export class DataError extends Error {
  override name = 'DataError';
}

/**
 * The Austen corpus as token-id streams. `vocab[id]` is the token string; ids ≥ NUM_SPECIAL are
 * sorted by descending train-split frequency, so capping at V keeps the V − 4 most frequent words.
 */
export interface Corpus {
  vocab: string[];
  train: Uint16Array;
  val: Uint16Array;
  test: Uint16Array;
}

/** The raw files under `public/data/austen/`: `vocab.json` as text, the three `.bin` files. */
export interface CorpusFiles {
  vocabJson: string;
  train: ArrayBuffer;
  val: ArrayBuffer;
  test: ArrayBuffer;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function parseVocab(vocabJson: string): string[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(vocabJson);
  } catch {
    throw new DataError('The vocabulary file is not valid JSON.');
  }
  if (typeof parsed !== 'object' || parsed === null || !('tokens' in parsed)) {
    throw new DataError('The vocabulary file has no "tokens" list.');
  }
  const tokens: unknown = parsed.tokens;
  if (!Array.isArray(tokens) || !tokens.every((t): t is string => typeof t === 'string')) {
    throw new DataError('The vocabulary "tokens" entry is not a list of strings.');
  }
  if (tokens.length < NUM_SPECIAL || tokens.length > 65536) {
    throw new DataError(
      `The vocabulary has ${tokens.length} tokens; it needs between ${NUM_SPECIAL} and 65536.`,
    );
  }
  for (let i = 0; i < NUM_SPECIAL; i++) {
    if (tokens[i] !== SPECIAL_TOKENS[i]) {
      throw new DataError(`The vocabulary entry ${i} should be ${SPECIAL_TOKENS[i]}.`);
    }
  }
  if (new Set(tokens).size !== tokens.length) {
    throw new DataError('The vocabulary contains a duplicate token.');
  }
  if ('counts' in parsed) {
    const counts: unknown = parsed.counts;
    if (
      !Array.isArray(counts) ||
      counts.length !== tokens.length ||
      !counts.every((c) => Number.isInteger(c) && (c as number) >= 0)
    ) {
      throw new DataError('The vocabulary "counts" entry does not match its tokens.');
    }
  }
  return tokens;
}

function parseIds(name: string, buf: ArrayBuffer, vocabSize: number): Uint16Array {
  if (buf.byteLength % 2 !== 0) {
    throw new DataError(
      `The ${name} split has an odd byte length (${buf.byteLength}); it must hold 16-bit ids.`,
    );
  }
  if (buf.byteLength === 0) throw new DataError(`The ${name} split is empty.`);
  const ids = new Uint16Array(buf);
  if (!LITTLE_ENDIAN) {
    const view = new DataView(buf);
    for (let i = 0; i < ids.length; i++) ids[i] = view.getUint16(2 * i, true);
  }
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    if (id >= vocabSize) {
      throw new DataError(
        `The ${name} split has token id ${id} at position ${i}, beyond the vocabulary of ${vocabSize}.`,
      );
    }
  }
  return ids;
}

/**
 * Validates and decodes the corpus files. The id arrays are views on the given buffers (no copy).
 * @throws DataError on bad JSON, a vocabulary without the fixed specials, an odd-length or empty
 *   split, or an id outside the vocabulary.
 */
export function parseCorpus(files: CorpusFiles): Corpus {
  const vocab = parseVocab(files.vocabJson);
  return {
    vocab,
    train: parseIds('train', files.train, vocab.length),
    val: parseIds('validation', files.val, vocab.length),
    test: parseIds('test', files.test, vocab.length),
  };
}

/**
 * A copy of `ids` with every id ≥ `vocabSize` replaced by UNK: the stream a model with a
 * V = `vocabSize` output layer sees. Ids are frequency-sorted, so this keeps the most common words.
 */
export function capVocab(ids: Uint16Array, vocabSize: number): Uint16Array {
  if (!Number.isInteger(vocabSize) || vocabSize <= NUM_SPECIAL) {
    throw new RangeError(`The vocabulary cap must be an integer above ${NUM_SPECIAL}.`);
  }
  const out = new Uint16Array(ids.length);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i]!;
    out[i] = id < vocabSize ? id : UNK;
  }
  return out;
}

/** Token ids of `text` under the shared tokeniser; words missing from `vocab` become UNK. */
export function encode(text: string, vocab: readonly string[]): number[] {
  const index = new Map<string, number>();
  vocab.forEach((tok, id) => index.set(tok, id));
  return tokenize(text).map((tok) => index.get(tok) ?? UNK);
}

/** Readable text for `ids`; ids outside `vocab` print as `[UNK]`. */
export function decode(ids: ArrayLike<number>, vocab: readonly string[]): string {
  const tokens: string[] = [];
  for (let i = 0; i < ids.length; i++) {
    tokens.push(vocab[ids[i]!] ?? SPECIAL_TOKENS[UNK]!);
  }
  return detokenize(tokens);
}
