/**
 * The word-level tokeniser shared by the corpus builder (`scripts/build-data.ts`) and the app,
 * so ids written to disk and ids produced from typed text always agree.
 *
 * Rules, applied in order:
 * 1. Unicode NFC; curly quotes become `"` / `'`; en and em dashes become `--`.
 * 2. Underscores (the source texts' italics markers, `_very_`) are removed.
 * 3. The special tokens `[PAD]`, `[UNK]`, `[MASK]`, `[SEP]` (exact upper case) are kept as one
 *    token each, so a user can type `[MASK]` into a prompt.
 * 4. Everything else is lowercased and split into
 *    - words: runs of letters, with internal apostrophes or single hyphens kept
 *      (`don't`, `bennet's`, `good-humoured` are one token each);
 *    - numbers: runs of digits, with internal `,` or `.` between digits (`20,000`);
 *    - dashes: a run of two or more hyphens is one token `--`;
 *    - any other non-space character is a token of its own (`,` `.` `"` `'` `£` ...).
 */

/** The special tokens in id order: [PAD]=0, [UNK]=1, [MASK]=2, [SEP]=3. */
export const SPECIAL_TOKENS: readonly string[] = ['[PAD]', '[UNK]', '[MASK]', '[SEP]'];

const SEP_TOKEN = '[SEP]';

/** A dash written as two or more hyphens in the source, normalised to one token. */
export const DASH = '--';

const TOKEN_RE =
  /\[(?:PAD|UNK|MASK|SEP)\]|\p{L}+(?:['-]\p{L}+)*|\p{N}+(?:[.,]\p{N}+)*|-{2,}|[^\s\p{L}\p{N}]/gu;

/** Rules 1–2: the text as the tokeniser sees it before lowercasing. */
export function normalizeText(text: string): string {
  return text
    .normalize('NFC')
    .replace(/[\u2018\u2019\u201A\u201B\u2032]/gu, "'")
    .replace(/[\u201C\u201D\u201E\u201F\u2033]/gu, '"')
    .replace(/[\u2013\u2014\u2015]/gu, '--')
    .replace(/_/gu, '');
}

/** Splits text into tokens (lowercase words, numbers, `--`, single punctuation marks, specials). */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const m of normalizeText(text).matchAll(TOKEN_RE)) {
    const tok = m[0];
    if (SPECIAL_TOKENS.includes(tok)) out.push(tok);
    else if (tok.startsWith('--')) out.push(DASH);
    else out.push(tok.toLowerCase());
  }
  return out;
}

const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '!', '?', ')', ']', '}', '%']);
const NO_SPACE_AFTER = new Set(['(', '[', '{', '£', '$']);

/**
 * Joins tokens back into readable text: one space between tokens except before closing
 * punctuation and after opening brackets; `"` and `'` alternate between opening (space before,
 * none after) and closing (none before), both reset to opening at [SEP]. Lossy by design (case and spacing are gone), but
 * `tokenize(detokenize(t))` equals `t` for any token list `t` produced by `tokenize`.
 */
export function detokenize(tokens: readonly string[]): string {
  let out = '';
  let glueNext = true;
  const open = { '"': false, "'": false };
  for (const tok of tokens) {
    if (tok === SEP_TOKEN) {
      open['"'] = false;
      open["'"] = false;
    }
    let glue = glueNext || NO_SPACE_BEFORE.has(tok);
    glueNext = NO_SPACE_AFTER.has(tok);
    if (tok === '"' || tok === "'") {
      if (open[tok]) glue = true;
      else glueNext = true;
      open[tok] = !open[tok];
    }
    out += glue ? tok : ` ${tok}`;
  }
  return out;
}
