/**
 * Number formatting for display: large numbers with SI prefixes, small ones in scientific form.
 * Shared by the reports (Markdown, SVG) and the lab's UI, so both write a number the same way;
 * it lives here because the report library must not import the UI (the UI may import it).
 */

const PREFIXES = ['', 'k', 'M', 'G', 'T', 'P', 'E', 'Z', 'Y'];
const MINUS = '−';

function sign(x: number): string {
  return x < 0 ? MINUS : '';
}

/** `x` with 3 significant digits, trailing zeros dropped: 3.20 → "3.2", 1000 → "1000". */
function sig3(x: number): string {
  return String(Number(x.toPrecision(3)));
}

/** A quantity with an SI prefix: formatSI(3.2e12, 'FLOP') → "3.2 TFLOP". */
export function formatSI(x: number, unit: string): string {
  if (Number.isNaN(x)) return '—';
  if (!Number.isFinite(x)) return `${sign(x)}∞ ${unit}`;
  const a = Math.abs(x);
  if (a < 1) return `${sign(x)}${sig3(a)} ${unit}`;
  let p = Math.min(PREFIXES.length - 1, Math.floor(Math.log10(a) / 3));
  let v = a / 1000 ** p;
  // Rounding can carry into the next prefix (999.96 k → 1000 k): show 1 M instead.
  if (Number(v.toPrecision(3)) >= 1000 && p < PREFIXES.length - 1) {
    p++;
    v = a / 1000 ** p;
  }
  return `${sign(x)}${sig3(v)} ${PREFIXES[p] ?? ''}${unit}`;
}

export function formatFlops(x: number): string {
  return formatSI(x, 'FLOP');
}

/** A fraction as a percentage with one decimal: 0.425 → "42.5 %", −0.1 → "−10.0 %". */
export function formatPercent(fraction: number, digits = 1): string {
  if (!Number.isFinite(fraction)) return '—';
  const v = Math.abs(fraction * 100).toFixed(digits);
  return `${fraction < 0 && Number(v) !== 0 ? MINUS : ''}${v} %`;
}

/** Milliseconds: "12.3 ms", "1.23 s" from one second up. */
export function formatMs(ms: number | null): string {
  if (ms === null || !Number.isFinite(ms)) return '—';
  if (ms >= 1000) return `${sig3(ms / 1000)} s`;
  return `${sig3(ms)} ms`;
}

/**
 * A measured value such as λmax or a loss: 4 significant digits, scientific form (1.234e−5)
 * outside [1e−3, 1e5); NaN as "NaN", infinities as "∞".
 */
export function formatValue(x: number, digits = 4): string {
  if (Number.isNaN(x)) return 'NaN';
  if (!Number.isFinite(x)) return `${sign(x)}∞`;
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e5) return `${sign(x)}${String(Number(a.toPrecision(digits)))}`;
  const [mantissa = '0', exponent = '0'] = a.toExponential(digits - 1).split('e');
  const exp = Number(exponent);
  return `${sign(x)}${String(Number(mantissa))}e${exp < 0 ? MINUS : ''}${Math.abs(exp)}`;
}

/**
 * One formatter for every count: `toLocaleString` builds a new `Intl.NumberFormat` per call, which
 * cost the page more than its charts while a small model trained (the step counter redraws every
 * step).
 */
const COUNT_FORMAT = new Intl.NumberFormat('en-US');

/** A step count with thousands separators: 12345 → "12,345". */
export function formatCount(n: number): string {
  if (!Number.isFinite(n)) return '—';
  return COUNT_FORMAT.format(Math.round(n));
}
