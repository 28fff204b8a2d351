import { readFileSync } from 'node:fs';
import { TesseraError } from '@tessera/core';
import { describe, expect, it } from 'vitest';
import {
  CRITEO_FEATURE_NAMES,
  criteoBatch,
  disposeBatch,
  FirstAppearanceIndexer,
  kaggleDaySplit,
  moduloIds,
  parseCriteoTsvLine,
  parseDeepCtrCsv,
  readCriteoRows,
  syntheticCriteo,
} from './index.js';

const line = (label: string, ints: string[], cats: string[]) => [label, ...ints, ...cats].join('\t');
const ints13 = (v: string) => Array(13).fill(v);
const cats26 = (v: string) => Array(26).fill(v);

function errorOf(f: () => unknown): TesseraError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TesseraError);
    return e as TesseraError;
  }
  throw new Error('did not throw');
}

describe('parseCriteoTsvLine', () => {
  it('missing → 0, negatives → 0, hex → uint32, CRLF stripped, modulo', () => {
    const r = parseCriteoTsvLine(
      `${line('1', ['', '-1', '7', ...ints13('2').slice(3)], ['ffffffff', '', ...cats26('0000000a').slice(2)])}\r\n`,
    );
    expect(r.label).toBe(1);
    expect(Array.from(r.ints.slice(0, 4))).toEqual([0, 0, 7, 2]);
    expect(r.cats[0]).toBe(4294967295);
    expect(r.cats[1]).toBe(0);
    expect(r.cats[2]).toBe(10);
    const m = parseCriteoTsvLine(line('0', ints13('1'), cats26('ffffffff')), { maxIndRange: 1000 });
    expect(m.cats[0]).toBe(4294967295 % 1000);
    expect(parseCriteoTsvLine(line('', ints13(''), cats26(''))).label).toBe(0);
  });
  it('malformed lines name the line number and the field', () => {
    expect(errorOf(() => parseCriteoTsvLine('1\t2\t3', { lineNumber: 7 })).message).toMatch(/40 fields.*line 7/);
    const e = errorOf(() => parseCriteoTsvLine(line('0', ['x1', ...ints13('1').slice(1)], cats26('a')), { lineNumber: 3 }));
    expect(e.code).toBe('CORRUPT_DATA');
    expect(e.message).toMatch(/line 3, field I1/);
    expect(errorOf(() => parseCriteoTsvLine(line('0', ints13('1'), ['xyz', ...cats26('a').slice(1)]))).message).toMatch(/field C1/);
    expect(errorOf(() => parseCriteoTsvLine(line('2', ints13('1'), cats26('a')))).message).toMatch(/field label/);
    expect(errorOf(() => parseCriteoTsvLine(line('0', ints13('1'), ['123456789', ...cats26('a').slice(1)]))).message).toMatch(/hex/);
  });
  it('first-appearance ids, table sizes, and the modulo option', () => {
    const ix = new FirstAppearanceIndexer();
    const rows = ['b', 'a', 'b', 'c'].map((h) => parseCriteoTsvLine(line('0', ints13('1'), cats26(h))));
    const ids = rows.map((r) => ix.observeAndIndex(r)[0]);
    expect(ids).toEqual([0, 1, 0, 2]);
    expect(ix.tableSizes()[0]).toBe(3);
    expect(new FirstAppearanceIndexer({ maxIndRange: 2 }).tableSizes()[0]).toBe(0);
    expect(moduloIds(rows[3], Array(26).fill(5))[0]).toBe(12 % 5);
  });
});

describe('readCriteoRows (streaming)', () => {
  const good = line('1', ints13('3'), cats26('abc'));
  it('splits chunks anywhere, skips malformed lines with a count, loses no good line', async () => {
    const text = `${good}\n${good}\nbroken\n\n${good}`;
    const chunks = Array.from({ length: Math.ceil(text.length / 7) }, (_, i) => new TextEncoder().encode(text.slice(i * 7, i * 7 + 7)));
    const stats = { lines: 0, rows: 0, skipped: 0, errors: [] as string[] };
    const rows = [];
    for await (const r of readCriteoRows(chunks, { skipMalformed: true }, stats)) rows.push(r);
    expect(rows.length).toBe(3);
    expect(stats.skipped).toBe(1);
    expect(stats.errors[0]).toMatch(/line 3/);
    await expect(async () => {
      for await (const _ of readCriteoRows([text])) {
        /* drain */
      }
    }).rejects.toThrow(/line 3/);
  });
});

describe('DeepCTR criteo_sample.txt (test-only fixture, see test/fixtures/deepctr/ATTRIBUTION.md)', () => {
  const text = readFileSync(new URL('../test/fixtures/deepctr/criteo_sample.txt', import.meta.url), 'utf8');
  const rows = parseDeepCtrCsv(text);
  it('200 rows, 49 positives, row 0 ints, 15 clamped −1 in I2', () => {
    expect(rows.length).toBe(200);
    expect(rows.reduce((s, r) => s + r.label, 0)).toBe(49);
    expect(Array.from(rows[0].ints)).toEqual([0, 3, 260, 0, 17668, 0, 0, 33, 0, 0, 0, 0, 0]);
    const raw = text.split('\n').slice(1, 201);
    expect(raw.filter((l) => l.split(',')[2] === '-1').length).toBe(15);
    expect(rows.filter((_r, i) => raw[i].split(',')[2] === '-1').every((r) => r.ints[1] === 0)).toBe(true);
  });
  it('first-appearance table sizes and the day split', () => {
    const ix = new FirstAppearanceIndexer();
    for (const r of rows) ix.observe(r);
    expect(ix.tableSizes()).toEqual([
      27, 92, 172, 157, 12, 7, 183, 19, 2, 142, 173, 170, 166, 14, 170, 168, 9, 127, 44, 4, 169, 6, 10, 125, 20, 90,
    ]);
    const s = kaggleDaySplit(200);
    expect(s.days).toEqual([29, 29, 29, 29, 28, 28, 28]);
    expect(s.train).toEqual([0, 172]);
    expect(s.test).toEqual([172, 186]);
    expect(s.val).toEqual([186, 200]);
  });
  it('criteoBatch: ln(1+x) in float32, one id per bag', () => {
    const ix = new FirstAppearanceIndexer();
    const ids = rows.slice(0, 4).map((r) => ix.observeAndIndex(r));
    const b = criteoBatch(rows.slice(0, 4), ids, CRITEO_FEATURE_NAMES);
    const d = b.dense.dataSync();
    expect(d[2]).toBe(Math.fround(Math.log(Math.fround(260) + 1)));
    expect(d[0]).toBe(0);
    expect(b.sparse.stride).toBe(4);
    expect(Array.from(b.sparse.lengths).every((l) => l === 1)).toBe(true);
    disposeBatch(b);
  });
});

describe('syntheticCriteo', () => {
  it('writes parseable lines; sessions share C1..C13; same seed, same log', () => {
    const a = syntheticCriteo({ rows: 300, meanSessionLength: 4, seed: 3, order: 'session' });
    const lines = [...a.lines()];
    const rows = lines.map((l, i) => parseCriteoTsvLine(l, { lineNumber: i + 1 }));
    expect(rows.length).toBe(300);
    for (let i = 1; i < 300; i++) {
      if (a.sessionIds[i] === a.sessionIds[i - 1])
        expect(Array.from(rows[i].cats.slice(0, 13))).toEqual(Array.from(rows[i - 1].cats.slice(0, 13)));
    }
    expect(new Set(a.sessionIds).size).toBeLessThan(150);
    const b = syntheticCriteo({ rows: 300, meanSessionLength: 4, seed: 3, order: 'session' });
    expect([...b.lines()]).toEqual(lines);
    expect(Array.from(rows[5].ints)).toEqual(Array.from(a.row(5).ints));
  });
});
