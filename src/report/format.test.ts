import { describe, expect, it } from 'vitest';
import { formatCount, formatFlops, formatMs, formatPercent, formatSI, formatValue } from './format';

describe('formatFlops', () => {
  it('uses SI prefixes with 3 significant digits', () => {
    expect(formatFlops(3.2e12)).toBe('3.2 TFLOP');
    expect(formatFlops(0)).toBe('0 FLOP');
    expect(formatFlops(999)).toBe('999 FLOP');
    expect(formatFlops(1234)).toBe('1.23 kFLOP');
    expect(formatFlops(45_600_000)).toBe('45.6 MFLOP');
    expect(formatFlops(7.891e9)).toBe('7.89 GFLOP');
    expect(formatFlops(1.5e15)).toBe('1.5 PFLOP');
  });
  it('carries rounding into the next prefix', () => {
    expect(formatFlops(999_960)).toBe('1 MFLOP');
  });
  it('handles signs and non-finite values', () => {
    expect(formatSI(-2500, 'FLOP')).toBe('−2.5 kFLOP');
    expect(formatFlops(NaN)).toBe('—');
    expect(formatFlops(Infinity)).toBe('∞ FLOP');
  });
});

describe('formatPercent', () => {
  it('shows one decimal and a true minus sign', () => {
    expect(formatPercent(0.425)).toBe('42.5 %');
    expect(formatPercent(-0.1)).toBe('−10.0 %');
    expect(formatPercent(-0.00001)).toBe('0.0 %');
    expect(formatPercent(NaN)).toBe('—');
  });
});

describe('formatMs', () => {
  it('switches to seconds from 1000 ms', () => {
    expect(formatMs(12.345)).toBe('12.3 ms');
    expect(formatMs(1234)).toBe('1.23 s');
    expect(formatMs(null)).toBe('—');
  });
});

describe('formatValue', () => {
  it('uses plain digits in the readable range and scientific form outside it', () => {
    expect(formatValue(1.23456)).toBe('1.235');
    expect(formatValue(0.00012346)).toBe('1.235e−4');
    expect(formatValue(123456)).toBe('1.235e5');
    expect(formatValue(-0.5)).toBe('−0.5');
    expect(formatValue(0)).toBe('0');
    expect(formatValue(NaN)).toBe('NaN');
    expect(formatValue(-Infinity)).toBe('−∞');
  });
});

describe('formatCount', () => {
  it('groups thousands', () => {
    expect(formatCount(12345)).toBe('12,345');
    expect(formatCount(0)).toBe('0');
  });
});
