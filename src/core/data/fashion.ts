import type { Rng } from '../rng';
import { DataError } from './corpus';

/** Side of a Fashion-MNIST image in pixels; images are SIDE × SIDE, one grey channel. */
export const FASHION_SIDE = 28;
/** Pixels per image, SIDE². */
export const FASHION_PIXELS = FASHION_SIDE * FASHION_SIDE;
/** Number of classes (T-shirt/top … Ankle boot, see `public/data/fashion-mnist/meta.json`). */
export const FASHION_CLASSES = 10;
/** Class names in label order (also written to `meta.json` by the data builder). */
export const FASHION_CLASS_NAMES = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
] as const;

/**
 * Mean μ and standard deviation σ of the pixel value p/255 over all 60,000 × 784 pixels of the
 * full training file (`train-images-idx3-ubyte.gz`), computed once in float64:
 * μ = 0.286040596980…, σ = 0.353024244518… (population std). Every image this module returns is
 * x = (p/255 − μ)/σ, so the training inputs have mean ≈ 0 and variance ≈ 1 per pixel on average.
 * The same constants serve the subset, the full set and the test split, so the model sees the
 * same scale whichever the app loads (t10k alone gives μ = 0.2868, σ = 0.3524).
 */
export const FASHION_MEAN = 0.2860405969804586;
export const FASHION_STD = 0.3530242445185261;

/** IDX magic numbers: 0x00000803 (unsigned byte, 3 dimensions) and 0x00000801 (1 dimension). */
const IDX_IMAGES_MAGIC = 2051;
const IDX_LABELS_MAGIC = 2049;

/**
 * Standardised images and their labels. `x` is [count, 28, 28, 1] row-major (NHWC, the TF.js
 * conv layout), each value (p/255 − FASHION_MEAN)/FASHION_STD; `y[i]` ∈ 0 … 9.
 */
export interface ImageSet {
  x: Float32Array;
  y: Int32Array;
  count: number;
}

/** A batch drawn from `ImageSet`, same layout; `batch` images. */
export interface ImageBatch {
  x: Float32Array;
  y: Int32Array;
  batch: number;
}

/** Raw IDX3 image bytes: `count` images of rows × cols, row-major (a view, no copy). */
export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

/** (p/255 − μ)/σ for every byte. */
function standardise(pixels: Uint8Array): Float32Array {
  const x = new Float32Array(pixels.length);
  const scale = 1 / (255 * FASHION_STD);
  const shift = FASHION_MEAN / FASHION_STD;
  for (let i = 0; i < pixels.length; i++) x[i] = pixels[i]! * scale - shift;
  return x;
}

function checkLabels(name: string, labels: Uint8Array): Int32Array {
  const y = new Int32Array(labels.length);
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i]!;
    if (l >= FASHION_CLASSES) {
      throw new DataError(`The ${name} file has label ${l} at image ${i}; labels must be 0 to 9.`);
    }
    y[i] = l;
  }
  return y;
}

/**
 * Decodes the committed subset files (`subset-*.bin`: raw uint8 pixels, 784 per image;
 * `subset-*-labels.bin`: one uint8 class per image).
 * @throws DataError when the image file is empty or not a whole number of 28 × 28 images, when
 *   the two files disagree on the image count, or when a label is outside 0 … 9.
 */
export function parseFashionSubset(images: ArrayBuffer, labels: ArrayBuffer): ImageSet {
  if (images.byteLength === 0 || images.byteLength % FASHION_PIXELS !== 0) {
    throw new DataError(
      `The image file has ${images.byteLength} bytes; it must hold a positive whole number of ${FASHION_SIDE}×${FASHION_SIDE} images (${FASHION_PIXELS} bytes each).`,
    );
  }
  const count = images.byteLength / FASHION_PIXELS;
  if (labels.byteLength !== count) {
    throw new DataError(
      `The label file has ${labels.byteLength} labels for ${count} images; the counts must match.`,
    );
  }
  return {
    x: standardise(new Uint8Array(images)),
    y: checkLabels('label', new Uint8Array(labels)),
    count,
  };
}

function readU32BE(bytes: Uint8Array, offset: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(offset, false);
}

/**
 * The item count of an IDX `kind` file (after decompression), from its header: `header` bytes,
 * starting with the magic number `magic` and the count (big-endian uint32).
 * @throws DataError on a file shorter than the header or a wrong magic number.
 */
function idxCount(
  bytes: Uint8Array,
  kind: 'image' | 'label',
  header: number,
  magic: number,
): number {
  if (bytes.byteLength < header) {
    throw new DataError(
      `The ${kind} file is shorter than the ${header}-byte IDX header; is it still gzipped?`,
    );
  }
  const found = readU32BE(bytes, 0);
  if (found !== magic) {
    throw new DataError(
      `The ${kind} file starts with magic number ${found}, not ${magic}; it is not an IDX ${kind} file (or is still gzipped).`,
    );
  }
  return readU32BE(bytes, 4);
}

/** @throws DataError when an IDX `kind` file is not the `expected` bytes its header announces. */
function checkIdxLength(
  bytes: Uint8Array,
  kind: 'image' | 'label',
  count: number,
  expected: number,
): void {
  if (bytes.byteLength !== expected) {
    throw new DataError(
      `The ${kind} file has ${bytes.byteLength} bytes, but its header announces ${count} ${kind}s (${expected} bytes).`,
    );
  }
}

/**
 * Parses an IDX3 image file *after* gzip decompression (the browser inflates the `.gz` with
 * `DecompressionStream('gzip')`): a 16-byte header — magic 2051, count, rows, cols, all
 * big-endian uint32 — then count·rows·cols pixel bytes. The pixels are a view on `bytes`.
 * @throws DataError on a short file, a wrong magic number, images that are not 28 × 28, or a
 *   length that does not match the header.
 */
export function parseIdxImages(bytes: Uint8Array): IdxImages {
  const count = idxCount(bytes, 'image', 16, IDX_IMAGES_MAGIC);
  const rows = readU32BE(bytes, 8);
  const cols = readU32BE(bytes, 12);
  if (rows !== FASHION_SIDE || cols !== FASHION_SIDE) {
    throw new DataError(`The image file holds ${rows}×${cols} images; the lab expects 28×28.`);
  }
  checkIdxLength(bytes, 'image', count, 16 + count * rows * cols);
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

/**
 * Parses an IDX1 label file after decompression: an 8-byte header (magic 2049, count,
 * big-endian) then one byte per label. Returns the labels as a view on `bytes`.
 * @throws DataError on a short file, a wrong magic number or a length that does not match.
 */
export function parseIdxLabels(bytes: Uint8Array): Uint8Array {
  const count = idxCount(bytes, 'label', 8, IDX_LABELS_MAGIC);
  checkIdxLength(bytes, 'label', count, 8 + count);
  return bytes.subarray(8);
}

/**
 * Standardised images and labels from a decompressed IDX3 + IDX1 pair (the full set).
 * @throws DataError as the two parsers do, when the counts differ, or on a label outside 0 … 9.
 */
export function fashionFromIdx(images: Uint8Array, labels: Uint8Array): ImageSet {
  const im = parseIdxImages(images);
  const lb = parseIdxLabels(labels);
  if (lb.length !== im.count) {
    throw new DataError(
      `The label file has ${lb.length} labels for ${im.count} images; the counts must match.`,
    );
  }
  return { x: standardise(im.pixels), y: checkLabels('label', lb), count: im.count };
}

/**
 * A training batch of `batch` images drawn independently and uniformly (with replacement) from
 * `data` by `rng` — one `rng.int(count)` per image, in order, so a seeded run replays exactly.
 */
export function sampleImageBatch(data: ImageSet, batch: number, rng: Rng): ImageBatch {
  if (!Number.isInteger(batch) || batch < 1) {
    throw new RangeError(`The batch size must be a positive integer, got ${batch}.`);
  }
  if (data.count < 1) throw new DataError('The image set is empty.');
  const x = new Float32Array(batch * FASHION_PIXELS);
  const y = new Int32Array(batch);
  for (let b = 0; b < batch; b++) {
    const i = rng.int(data.count);
    x.set(data.x.subarray(i * FASHION_PIXELS, (i + 1) * FASHION_PIXELS), b * FASHION_PIXELS);
    y[b] = data.y[i]!;
  }
  return { x, y, batch };
}

/**
 * Training images 5000 … 5999 of the original training file are held out for validation
 * (they are in the committed subset, which is the first 6000, and in the full set alike), so
 * the validation images are the same whichever the lab loads. The test split (t10k) is never
 * used for choosing anything; `npm run reproduce` reports it separately.
 */
export const FASHION_VAL_START = 5000;
export const FASHION_VAL_COUNT = 1000;
/** Training images available without the full set: the subset minus the validation images. */
export const FASHION_SUBSET_TRAIN = FASHION_VAL_START;

/** The three splits a VGG task trains, validates and tests on. */
export interface FashionData {
  train: ImageSet;
  val: ImageSet;
  test: ImageSet;
  /** Whether the full 70,000-image set was loaded (else the committed subset). */
  full: boolean;
}

/** Images `from` … `to − 1` of a set (copies). */
export function sliceImages(s: ImageSet, from: number, to: number): ImageSet {
  const a = Math.max(0, Math.min(from, s.count));
  const b = Math.max(a, Math.min(to, s.count));
  return {
    x: s.x.slice(a * FASHION_PIXELS, b * FASHION_PIXELS),
    y: s.y.slice(a, b),
    count: b - a,
  };
}

function concatImages(a: ImageSet, b: ImageSet): ImageSet {
  const x = new Float32Array(a.x.length + b.x.length);
  x.set(a.x);
  x.set(b.x, a.x.length);
  const y = new Int32Array(a.count + b.count);
  y.set(a.y);
  y.set(b.y, a.count);
  return { x, y, count: a.count + b.count };
}

/** Whether `images` training images need the full set (more than the subset holds). */
export const needsFullFashion = (images: number): boolean => images > FASHION_SUBSET_TRAIN;

/**
 * Splits a training file (subset or full, in original order) and a test file into training,
 * validation and test sets: validation = images 5000 … 5999; training = the first `images` of
 * the rest (0 … 4999, then 6000 … on).
 * @throws DataError when the training file holds fewer than 6000 images or fewer than `images`
 *   training images besides the validation ones.
 */
export function fashionSplits(
  trainFile: ImageSet,
  testFile: ImageSet,
  images: number,
  full: boolean,
): FashionData {
  const valEnd = FASHION_VAL_START + FASHION_VAL_COUNT;
  if (trainFile.count < valEnd) {
    throw new DataError(
      `The training file has ${trainFile.count} images; at least ${valEnd} are needed (5000 … 5999 validate).`,
    );
  }
  const available = trainFile.count - FASHION_VAL_COUNT;
  if (images > available) {
    throw new DataError(
      `${images} training images were asked for; the ${full ? 'full set' : 'subset'} has ${available} besides the validation images.`,
    );
  }
  const head = sliceImages(trainFile, 0, Math.min(images, FASHION_VAL_START));
  const train =
    images <= FASHION_VAL_START
      ? head
      : concatImages(head, sliceImages(trainFile, valEnd, valEnd + images - FASHION_VAL_START));
  return { train, val: sliceImages(trainFile, FASHION_VAL_START, valEnd), test: testFile, full };
}
