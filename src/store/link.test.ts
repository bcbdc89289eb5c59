import LZString from 'lz-string';
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG } from '../core/config';
import type { ExperimentConfig } from '../core/config';
import { presetConfig } from '../core/presets';
import { sliderMoves } from '../core/testing/slider-moves';
import { experimentToParams } from '../core/url';
import {
  linkLeavesOut,
  MAX_LINK_TEXT,
  MAX_URL_EVENTS,
  PLAIN_LINK_LIMIT,
  readLink,
  shareableConfig,
  shareableLink,
  shareableSearch,
} from './url-state';

/** Node's (and Chromium's) default cap on a request's headers, the request line included. */
const HTTP_431_BYTES = 16 * 1024;

const spiral = (events: ExperimentConfig['events']): ExperimentConfig => ({
  ...presetConfig('mlp-spiral')!,
  events,
});
const address = (l: { search: string; hash: string }) => `${l.search}${l.hash}`;

/**
 * An lz-string stream (URI-safe) of the letter `a` and then `codes` codes that each name the
 * entry being made (the previous one plus its first letter): code k writes k + 1 characters, so
 * the text has (codes + 1)(codes + 2) / 2. Written bit by bit as lz-string's compressor writes.
 */
function lzBomb(codes: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+-$';
  let out = '';
  let value = 0;
  let filled = 0;
  const write = (x: number, bits: number) => {
    for (let i = 0; i < bits; i++) {
      value = (value << 1) | ((x >> i) & 1);
      if (++filled === 6) {
        out += alphabet[value];
        value = 0;
        filled = 0;
      }
    }
  };
  write(0, 2);
  write('a'.charCodeAt(0), 8);
  let dictSize = 4;
  let numBits = 3;
  let enlargeIn = 4;
  for (let k = 0; k < codes; k++) {
    write(dictSize++, numBits);
    if (--enlargeIn === 0) enlargeIn = 2 ** numBits++;
  }
  write(2, numBits);
  while (filled !== 0) write(0, 1);
  return out;
}

describe('long links go into the fragment, compressed', () => {
  it('1,000 typical slider moves: a #x= link of under 8 KiB that reads back exactly', () => {
    const config = spiral(sliderMoves(1000));
    const plain = shareableSearch(config, [['preset', 'mlp-spiral']]);
    // The plain query is what got HTTP 431 before the page loaded.
    expect(plain.length).toBeGreaterThan(HTTP_431_BYTES);
    const link = shareableLink(config, [['preset', 'mlp-spiral']]);
    expect(link.search).toBe('');
    expect(link.hash).toMatch(/^#x=[A-Za-z0-9+$-]+$/);
    // Measured 6,347 characters (lz-string on the percent-encoded query of 21,776); 8 KiB is the
    // stated bound.
    expect(link.hash.length).toBeLessThan(8 * 1024);
    const read = readLink(address(link));
    expect(read.errors).toEqual([]);
    expect(read.config).toEqual(config);
    expect(read.extras).toEqual({ preset: 'mlp-spiral' });
  });

  it(`${MAX_URL_EVENTS.toLocaleString('en')} moves (the link's cap): under 64 KiB, read back exactly`, () => {
    const config = spiral(sliderMoves(MAX_URL_EVENTS, 2));
    const link = shareableLink(config, []);
    // Measured 56,059 characters.
    expect(link.hash.length).toBeLessThan(64 * 1024);
    const read = readLink(address(link));
    expect(read.errors).toEqual([]);
    expect(read.config).toEqual(config);
  });

  it(`short links stay plain queries (up to ${PLAIN_LINK_LIMIT} characters)`, () => {
    const config = spiral(sliderMoves(20));
    const link = shareableLink(config, [['worker', '0']], {
      present: true,
      hide: ['share'],
      fused: true,
    });
    expect(link.hash).toBe('');
    expect(link.search).toBe(
      shareableSearch(config, [['worker', '0']], {
        present: true,
        hide: ['share'],
        fused: true,
      }),
    );
    const read = readLink(link.search);
    expect(read.config).toEqual(config);
    expect(read.page).toEqual([['worker', '0']]);
    expect(read.flags).toEqual({ present: true, hide: ['share'], fused: true });
  });
});

describe('every form of link is read', () => {
  const config = spiral(sliderMoves(5));
  const query = shareableSearch(config, []).slice(1);

  it('an old ?query link, a plain #fragment, and a compressed one give the same experiment', () => {
    const forms = [
      `?${query}`,
      `#${query}`,
      `#x=${LZString.compressToEncodedURIComponent(query)}`,
      // A link whose anchor followed it: the anchor is not a parameter.
      `?${query}#how-mat-decides`,
    ];
    for (const form of forms) {
      const read = readLink(form);
      expect(read.errors, form.slice(0, 40)).toEqual([]);
      expect(read.config, form.slice(0, 40)).toEqual(config);
    }
  });

  it('a query and a fragment together: the fragment comes after (the last value wins, said)', () => {
    const read = readLink(
      `?preset=mlp-spiral&lr=0.5#x=${LZString.compressToEncodedURIComponent('lr=0.25')}`,
    );
    expect(read.config.lr).toBe(0.25);
    expect(read.config.model).toBe('mlp');
    expect(read.errors.map((e) => e.field)).toEqual(['lr']);
  });

  it('a cut or edited #x= is reported as field `link`; the query is still read', () => {
    const full = `#x=${LZString.compressToEncodedURIComponent(query)}`;
    for (const bad of [
      full.slice(0, full.length / 2),
      `${full.slice(0, 20)}!!${full.slice(22)}`,
      '#x=',
    ]) {
      const read = readLink(`?preset=mlp-circles${bad}`);
      expect(read.errors.map((e) => e.field)).toEqual(['link']);
      expect(read.errors[0]!.message).toContain('not one this lab wrote');
      expect(read.config.data).toBe('circles');
    }
  });

  it('a fragment that expands past the cap is refused before it is read, in well under 50 ms', () => {
    const bomb = lzBomb(2000);
    // 2 million characters from a 4 KB fragment: lz-string's own decoder writes them all.
    expect(bomb.length).toBeLessThan(4096);
    expect(LZString.decompressFromEncodedURIComponent(bomb)).toHaveLength(2001 * 1001);
    expect(2001 * 1001).toBeGreaterThan(MAX_LINK_TEXT);
    const t = performance.now();
    const read = readLink(`#x=${bomb}`);
    const ms = performance.now() - t;
    expect(read.errors.map((e) => e.field)).toEqual(['link']);
    expect(read.errors[0]!.message).toContain(`more than the ${MAX_LINK_TEXT} characters`);
    expect(read.config).toEqual(DEFAULT_CONFIG);
    // The decoder stops at the cap (≈ 600,000 characters: measured 2-6 ms); 50 ms is the budget
    // of a parse, and lz-string's decoder needs about as long for the whole bomb.
    expect(ms).toBeLessThan(50);
  });

  it('the experiment entries of a link are exactly experimentToParams (nothing else added)', () => {
    const link = shareableLink(spiral(sliderMoves(2000, 3)), []);
    const text = LZString.decompressFromEncodedURIComponent(link.hash.slice(3));
    expect([...new URLSearchParams(text)]).toEqual(
      experimentToParams(spiral(sliderMoves(2000, 3))),
    );
  });
});

describe('a run with more changes than a link carries', () => {
  it(`keeps the first ${MAX_URL_EVENTS.toLocaleString('en')} in the link and says how many are left out`, () => {
    const moves = sliderMoves(MAX_URL_EVENTS + 25, 4);
    const logged = moves.map((e) => ({ step: e.step, name: e.name, from: 0, to: e.value }));
    const config = shareableConfig(DEFAULT_CONFIG, logged);
    expect(config.events).toEqual(moves.slice(0, MAX_URL_EVENTS));
    expect(linkLeavesOut(DEFAULT_CONFIG, logged)).toEqual({
      count: 25,
      fromStep: moves[MAX_URL_EVENTS]!.step,
    });
    expect(linkLeavesOut(DEFAULT_CONFIG, logged.slice(0, MAX_URL_EVENTS))).toBeNull();
  });
});
