import { describe, expect, it } from 'vitest';
import { markdownSection, markdownTable, TABLE_COLUMNS, formatDuration } from './markdown';
import { parseReport, ReportFileError, validateReport } from './schema';
import { lambdaHeatmapSvg, metricVsFlopsSvg, xmlEscape } from './svg';
import { fakeReport } from './testing';
import { checkXml } from './xml-check';

describe('report schema', () => {
  it('accepts a well-formed report and round-trips through JSON', () => {
    const r = fakeReport();
    expect(parseReport(JSON.stringify(r))).toEqual(r);
  });

  it('rejects other files with a sentence naming the field', () => {
    expect(() => parseReport('not json')).toThrow(/not JSON/);
    expect(() => validateReport({ format: 'mat-lab-run' })).toThrow(ReportFileError);
    expect(() => validateReport({ ...fakeReport(), runs: [] })).toThrow(/runs/);
    const bad = fakeReport();
    bad.runs[1]!.validation.metric.pop();
    expect(() => validateReport(bad)).toThrow(/same length/);
    const short = fakeReport();
    short.runs[1]!.lambda!.lambdaMax[0] = [0.1];
    expect(() => validateReport(short)).toThrow(/do not cover all 2 modules/);
  });
});

describe('markdown', () => {
  it('has a header, a separator and one row per policy, each with every column', () => {
    const lines = markdownTable(fakeReport()).split('\n');
    expect(lines).toHaveLength(2 + 2);
    for (const l of lines) expect(l.split('|').length - 2).toBe(TABLE_COLUMNS.length);
    expect(lines[0]).toContain('Final val. accuracy');
    expect(lines[2]).toMatch(/^\| Vanilla \| 80\.0 % \| 1\/1 \|/);
    // MAT: 120 vs vanilla's 100 FLOPs to V* → saving −20 %.
    expect(lines[3]).toMatch(/^\| MAT \| 85\.0 % \| 1\/1 \| 120 FLOP \| −20\.0 % \|/);
  });

  it('states the setup and durations in words', () => {
    expect(markdownSection(fakeReport())).toMatch(/20 steps × 1 seed \(1\)/);
    expect(formatDuration(59_400)).toBe('59 s');
    expect(formatDuration(2_712_000)).toBe('45 min 12 s');
  });
});

describe('svg plots', () => {
  it('are well-formed standalone SVG documents', () => {
    const r = fakeReport();
    expect(checkXml(metricVsFlopsSvg(r))).toBe('svg');
    expect(checkXml(lambdaHeatmapSvg(r))).toBe('svg');
    expect(metricVsFlopsSvg(r)).toContain('data-policy="mat"');
    expect(
      lambdaHeatmapSvg({ ...r, runs: r.runs.filter((x) => x.policy === 'vanilla') }),
    ).toContain('No MAT run');
  });

  it('escapes text', () => {
    expect(xmlEscape(`<a & "b">`)).toBe('&lt;a &amp; &quot;b&quot;&gt;');
    const r = fakeReport();
    r.preset.id = 'x<&>y';
    expect(checkXml(metricVsFlopsSvg(r))).toBe('svg');
  });

  it('the checker rejects broken XML', () => {
    expect(() => checkXml('<svg><g></svg>')).toThrow(SyntaxError);
    expect(() => checkXml('<svg a=1/>')).toThrow(SyntaxError);
    expect(() => checkXml('<svg>a & b</svg>')).toThrow(SyntaxError);
    expect(() => checkXml('<svg/><svg/>')).toThrow(SyntaxError);
    expect(checkXml('<?xml version="1.0"?>\n<svg x="1"><!-- c --><g/></svg>\n')).toBe('svg');
  });
});
