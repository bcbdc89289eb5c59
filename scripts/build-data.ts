/**
 * Converts the Debian-packaged data sets into the compact files the app ships under
 * `public/data/`. Deterministic and re-runnable: `npm run data` (both parts), or
 * `npm run data -- austen` / `npm run data -- fashion` for one part. Prints sha256 checksums.
 *
 * Needs `r-base-core r-cran-janeaustenr` (Austen) and `dataset-fashion-mnist` (Fashion-MNIST).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';
import { NUM_SPECIAL, SEP, UNK } from '../src/core/data/corpus';
import { SPECIAL_TOKENS, tokenize } from '../src/core/data/tokenizer';
import { FASHION_CLASS_NAMES } from '../src/core/data/fashion';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'public', 'data');

const sha256 = (bytes: Uint8Array): string => createHash('sha256').update(bytes).digest('hex');

function write(path: string, bytes: Uint8Array | string): string {
  mkdirSync(dirname(path), { recursive: true });
  const data = typeof bytes === 'string' ? Buffer.from(bytes, 'utf8') : bytes;
  writeFileSync(path, data);
  const hash = sha256(data);
  console.log(`  ${hash}  ${path.slice(ROOT.length + 1)} (${data.byteLength} bytes)`);
  return hash;
}

/** Little-endian bytes of a Uint16 id stream, independent of the host's byte order. */
function uint16le(ids: readonly number[]): Uint8Array {
  const buf = Buffer.alloc(ids.length * 2);
  ids.forEach((id, i) => buf.writeUInt16LE(id, 2 * i));
  return buf;
}

// ---------------------------------------------------------------------------------------------
// Jane Austen (r-cran-janeaustenr)

/** The six novels, in the fixed order that defines the global chapter index. */
const BOOKS = [
  'emma',
  'mansfieldpark',
  'northangerabbey',
  'persuasion',
  'prideprejudice',
  'sensesensibility',
] as const;

/** Total vocabulary size including the four specials. */
const VOCAB_CAP = 8192;

/** Chapter k (0-based, counted across BOOKS in order) goes to val if k mod 20 = 18, test if 19. */
const SPLIT_MODULUS = 20;
const VAL_RESIDUE = 18;
const TEST_RESIDUE = 19;

const CHAPTER_RE = /^\s*(?:CHAPTER|Chapter)\s+[IVXLC0-9]+\.?\s*$/;
const VOLUME_RE = /^\s*VOLUME\s+[IVX]+\s*$/;
const END_RE = /^\s*(?:THE END|FINIS|Finis)\s*$/;
const BACK_MATTER_RE = /^\s*A NOTE ON THE TEXT\s*$/;
const EDITORIAL_RE = /^\[[^\]]*edition[^\]]*\]$/is;

const RULES = {
  chapters:
    "A chapter starts at a line matching /^\\s*(CHAPTER|Chapter)\\s+[IVXLC0-9]+\\.?\\s*$/ (the heading line itself is dropped). Text before the first heading (title page, Northanger Abbey's advertisement) is dropped.",
  dropped:
    'Lines "VOLUME I/II/III", end markers "THE END"/"FINIS"/"Finis", Northanger Abbey\'s "A NOTE ON THE TEXT" and everything after it, and bracketed editorial paragraphs mentioning an edition ("[At this point in the first and second editions, …]").',
  split: `Chapters are numbered k = 0, 1, … across the books in the order ${BOOKS.join(', ')}; k mod ${SPLIT_MODULUS} = ${VAL_RESIDUE} → val, ${TEST_RESIDUE} → test, otherwise train. Within a split, chapters keep that order and [SEP] (id ${SEP}) is inserted between consecutive chapters.`,
  tokenizer:
    'src/core/data/tokenizer.ts: NFC; underscores (italics) removed; lowercase; words = letter runs with internal apostrophes or single hyphens kept; numbers = digit runs with internal , or .; a run of 2+ hyphens is one token "--"; every other non-space character is its own token.',
  vocabulary: `Built from the train split only: tokens sorted by descending train count, ties by code-unit order; ids 0-3 are [PAD], [UNK], [MASK], [SEP]; capped at ${VOCAB_CAP} entries including the specials. Out-of-vocabulary tokens get id ${UNK} ([UNK]).`,
  format: 'train.bin / val.bin / test.bin: raw little-endian Uint16 token ids.',
};

function dumpAusten(dir: string): Map<string, string> {
  const script = [
    'library(janeaustenr)',
    `for (n in c(${BOOKS.map((b) => `"${b}"`).join(', ')})) writeLines(get(n), file.path("${dir}", paste0(n, ".txt")), useBytes = TRUE)`,
    `writeLines(as.character(packageVersion("janeaustenr")), file.path("${dir}", "VERSION"))`,
  ].join('; ');
  try {
    execFileSync('Rscript', ['-e', script], { stdio: ['ignore', 'inherit', 'inherit'] });
  } catch (e) {
    throw new Error(
      'Rscript failed; install the R packages with `apt-get install -y --no-install-recommends r-base-core r-cran-janeaustenr`.',
      { cause: e },
    );
  }
  const texts = new Map<string, string>();
  for (const b of [...BOOKS, 'VERSION']) {
    texts.set(b, readFileSync(join(dir, b === 'VERSION' ? b : `${b}.txt`), 'utf8'));
  }
  return texts;
}

/** The chapter bodies of one novel, front and back matter removed, as plain text. */
function chaptersOf(book: string, text: string): string[] {
  const chapters: string[][] = [];
  for (const line of text.split(/\r?\n/)) {
    if (BACK_MATTER_RE.test(line)) break;
    if (CHAPTER_RE.test(line)) {
      chapters.push([]);
      continue;
    }
    if (VOLUME_RE.test(line) || END_RE.test(line)) continue;
    chapters.at(-1)?.push(line);
  }
  if (chapters.length === 0) throw new Error(`No chapter headings found in ${book}.`);
  return chapters.map((lines) =>
    lines
      .join('\n')
      .split(/\n\s*\n/)
      .map((p) => p.trim())
      .filter((p) => p.length > 0 && !EDITORIAL_RE.test(p))
      .join('\n\n'),
  );
}

function buildAusten(): void {
  console.log('Austen (r-cran-janeaustenr) → public/data/austen/');
  const tmp = mkdtempSync(join(tmpdir(), 'austen-'));
  let texts: Map<string, string>;
  try {
    texts = dumpAusten(tmp);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }

  type Split = 'train' | 'val' | 'test';
  const chapters: Record<Split, string[][]> = { train: [], val: [], test: [] };
  const perBook: Record<string, number> = {};
  let k = 0;
  for (const book of BOOKS) {
    const chs = chaptersOf(book, texts.get(book) ?? '');
    perBook[book] = chs.length;
    for (const ch of chs) {
      const tokens = tokenize(ch);
      const special = tokens.find((t) => SPECIAL_TOKENS.includes(t));
      if (special !== undefined) throw new Error(`${book} contains the literal ${special}.`);
      const r = k % SPLIT_MODULUS;
      chapters[r === VAL_RESIDUE ? 'val' : r === TEST_RESIDUE ? 'test' : 'train'].push(tokens);
      k++;
    }
  }

  const counts = new Map<string, number>();
  for (const ch of chapters.train) for (const t of ch) counts.set(t, (counts.get(t) ?? 0) + 1);
  const ranked = [...counts.entries()].sort((a, b) =>
    b[1] !== a[1] ? b[1] - a[1] : a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
  );
  const kept = ranked.slice(0, VOCAB_CAP - NUM_SPECIAL);
  const tokens = [...SPECIAL_TOKENS, ...kept.map(([t]) => t)];
  const vocabCounts = [...SPECIAL_TOKENS.map(() => 0), ...kept.map(([, c]) => c)];
  const index = new Map(tokens.map((t, i) => [t, i]));

  const dir = join(OUT, 'austen');
  const vocabSha256 = write(
    join(dir, 'vocab.json'),
    `${JSON.stringify({ tokens, counts: vocabCounts })}\n`,
  );
  const splits: Record<string, { chapters: number; tokens: number; unk: number; sha256: string }> =
    {};
  for (const split of ['train', 'val', 'test'] as const) {
    const ids: number[] = [];
    chapters[split].forEach((ch, i) => {
      if (i > 0) ids.push(SEP);
      for (const t of ch) ids.push(index.get(t) ?? UNK);
    });
    const sha = write(join(dir, `${split}.bin`), uint16le(ids));
    splits[split] = {
      chapters: chapters[split].length,
      tokens: ids.length,
      unk: ids.filter((id) => id === UNK).length,
      sha256: sha,
    };
  }

  const meta = {
    source: {
      debianPackage: 'r-cran-janeaustenr',
      rPackageVersion: (texts.get('VERSION') ?? '').trim(),
      books: BOOKS,
      chaptersPerBook: perBook,
    },
    licence:
      'Novels: public domain. janeaustenr R package (Julia Silge) and its Debian packaging: MIT.',
    generatedBy: 'npm run data (tsx scripts/build-data.ts)',
    splits,
    vocabSize: tokens.length,
    vocabSha256,
    distinctTrainTokens: counts.size,
    rules: RULES,
  };
  write(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
  console.log(
    `  vocab ${tokens.length} (of ${counts.size} distinct train tokens); ` +
      Object.entries(splits)
        .map(([s, v]) => `${s} ${v.tokens} tokens / ${v.chapters} chapters / ${v.unk} [UNK]`)
        .join('; '),
  );
}

// ---------------------------------------------------------------------------------------------
// Fashion-MNIST (dataset-fashion-mnist)

const FASHION_SRC = '/usr/share/datasets/fashion-mnist';
const FASHION_FILES = [
  'train-images-idx3-ubyte.gz',
  'train-labels-idx1-ubyte.gz',
  't10k-images-idx3-ubyte.gz',
  't10k-labels-idx1-ubyte.gz',
] as const;
const IMAGE_MAGIC = 2051;
const LABEL_MAGIC = 2049;
const SIDE = 28;
const TRAIN_SUBSET = 6000;
const TEST_SUBSET = 1000;
/** Larger originals than this are not copied into the repo. */
const FULL_COPY_LIMIT = 35_000_000;
const CLASSES = FASHION_CLASS_NAMES;

/** Pixel bytes of an IDX3 image file (magic 2051, big-endian count, rows, cols), validated. */
function parseIdxImages(name: string, raw: Buffer): { count: number; pixels: Buffer } {
  if (raw.length < 16) throw new Error(`${name}: shorter than the 16-byte IDX3 header.`);
  const magic = raw.readUInt32BE(0);
  const count = raw.readUInt32BE(4);
  const rows = raw.readUInt32BE(8);
  const cols = raw.readUInt32BE(12);
  if (magic !== IMAGE_MAGIC) throw new Error(`${name}: magic ${magic}, expected ${IMAGE_MAGIC}.`);
  if (rows !== SIDE || cols !== SIDE) throw new Error(`${name}: images are ${rows}×${cols}.`);
  if (raw.length !== 16 + count * rows * cols) {
    throw new Error(`${name}: ${raw.length} bytes, expected ${16 + count * rows * cols}.`);
  }
  return { count, pixels: raw.subarray(16) };
}

/** Label bytes of an IDX1 file (magic 2049, big-endian count), validated to lie in 0…9. */
function parseIdxLabels(name: string, raw: Buffer): { count: number; labels: Buffer } {
  if (raw.length < 8) throw new Error(`${name}: shorter than the 8-byte IDX1 header.`);
  const magic = raw.readUInt32BE(0);
  const count = raw.readUInt32BE(4);
  if (magic !== LABEL_MAGIC) throw new Error(`${name}: magic ${magic}, expected ${LABEL_MAGIC}.`);
  if (raw.length !== 8 + count)
    throw new Error(`${name}: ${raw.length} bytes, expected ${8 + count}.`);
  const labels = raw.subarray(8);
  const bad = labels.findIndex((l) => l >= CLASSES.length);
  if (bad >= 0) throw new Error(`${name}: label ${labels[bad]} at ${bad} is not in 0…9.`);
  return { count, labels };
}

function buildFashion(): void {
  console.log('Fashion-MNIST (dataset-fashion-mnist) → public/data/fashion-mnist/');
  const read = (f: string): Buffer => {
    try {
      return readFileSync(join(FASHION_SRC, f));
    } catch (e) {
      throw new Error(
        `Cannot read ${FASHION_SRC}/${f}; install it with \`apt-get install -y dataset-fashion-mnist\`.`,
        { cause: e },
      );
    }
  };
  const gz = new Map(FASHION_FILES.map((f) => [f, read(f)]));
  const raw = (f: (typeof FASHION_FILES)[number]): Buffer => gunzipSync(gz.get(f)!);

  const trainImages = parseIdxImages(FASHION_FILES[0], raw(FASHION_FILES[0]));
  const trainLabels = parseIdxLabels(FASHION_FILES[1], raw(FASHION_FILES[1]));
  const testImages = parseIdxImages(FASHION_FILES[2], raw(FASHION_FILES[2]));
  const testLabels = parseIdxLabels(FASHION_FILES[3], raw(FASHION_FILES[3]));
  if (trainImages.count !== trainLabels.count || testImages.count !== testLabels.count) {
    throw new Error('Fashion-MNIST image and label counts differ.');
  }
  if (trainImages.count < TRAIN_SUBSET || testImages.count < TEST_SUBSET) {
    throw new Error('Fashion-MNIST has fewer images than the subset sizes.');
  }

  const dir = join(OUT, 'fashion-mnist');
  const px = SIDE * SIDE;
  const files: Record<string, string> = {};
  files['subset-train.bin'] = write(
    join(dir, 'subset-train.bin'),
    trainImages.pixels.subarray(0, TRAIN_SUBSET * px),
  );
  files['subset-train-labels.bin'] = write(
    join(dir, 'subset-train-labels.bin'),
    trainLabels.labels.subarray(0, TRAIN_SUBSET),
  );
  files['subset-test.bin'] = write(
    join(dir, 'subset-test.bin'),
    testImages.pixels.subarray(0, TEST_SUBSET * px),
  );
  files['subset-test-labels.bin'] = write(
    join(dir, 'subset-test-labels.bin'),
    testLabels.labels.subarray(0, TEST_SUBSET),
  );

  const fullBytes = FASHION_FILES.reduce((s, f) => s + statSync(join(FASHION_SRC, f)).size, 0);
  const copyFull = fullBytes <= FULL_COPY_LIMIT;
  if (copyFull) {
    mkdirSync(join(dir, 'full'), { recursive: true });
    for (const f of FASHION_FILES) {
      copyFileSync(join(FASHION_SRC, f), join(dir, 'full', f));
      files[`full/${f}`] = sha256(gz.get(f)!);
      console.log(`  ${files[`full/${f}`]}  public/data/fashion-mnist/full/${f} (copied)`);
    }
  } else {
    console.log(`  full set not copied: ${fullBytes} bytes > ${FULL_COPY_LIMIT}`);
  }

  const meta = {
    source: { debianPackage: 'dataset-fashion-mnist', path: FASHION_SRC },
    licence: 'MIT (Fashion-MNIST, Zalando Research).',
    generatedBy: 'npm run data (tsx scripts/build-data.ts)',
    classes: CLASSES,
    imageShape: [SIDE, SIDE],
    format:
      'subset-*.bin: raw uint8 pixels, row-major, 784 bytes per image, 0 = background; *-labels.bin: one uint8 class id per image. full/: the original gzipped IDX files (16-byte IDX3 / 8-byte IDX1 big-endian headers).',
    subset: {
      train: { images: TRAIN_SUBSET, from: `first ${TRAIN_SUBSET} of ${FASHION_FILES[0]}` },
      test: { images: TEST_SUBSET, from: `first ${TEST_SUBSET} of ${FASHION_FILES[2]}` },
    },
    full: copyFull
      ? { copied: true, train: trainImages.count, test: testImages.count, gzBytes: fullBytes }
      : { copied: false, reason: `${fullBytes} bytes exceeds ${FULL_COPY_LIMIT}` },
    sha256: files,
  };
  write(join(dir, 'meta.json'), `${JSON.stringify(meta, null, 2)}\n`);
}

const parts = process.argv.slice(2);
const want = (p: string): boolean => parts.length === 0 || parts.includes(p);
if (parts.some((p) => p !== 'austen' && p !== 'fashion')) {
  console.error('Usage: tsx scripts/build-data.ts [austen] [fashion]');
  process.exit(2);
}
if (want('austen')) buildAusten();
if (want('fashion')) buildFashion();
