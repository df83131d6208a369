import { describe, expect, test } from 'vitest';
import {
  formatAgo,
  formatBytes,
  formatDateTime,
  formatSeconds,
  homeDomainUrl,
  safeHttpUrl,
  safeHttpsUrl,
  sepLabel,
  shortId,
  versionKindLabel,
} from './format';
import { fillDays, lastDays } from './series';
import { tokenizeType } from './abiType';

describe('formatting', () => {
  test('only http(s) URLs become links', () => {
    expect(safeHttpUrl('https://example.org/a?b=1')).toBe('https://example.org/a?b=1');
    expect(safeHttpUrl('http://example.org')).toBe('http://example.org/');
    expect(safeHttpUrl('javascript:alert(1)')).toBeNull();
    expect(safeHttpUrl('JaVaScRiPt:alert(1)')).toBeNull();
    expect(safeHttpUrl('data:text/html,<b>x</b>')).toBeNull();
    expect(safeHttpUrl('example.org')).toBeNull();
    expect(safeHttpUrl(null)).toBeNull();
  });

  test('a source link only for https; a home domain only when it is a plain domain name', () => {
    expect(safeHttpsUrl('https://github.com/stellar/soroban-examples')).toBe('https://github.com/stellar/soroban-examples');
    expect(safeHttpsUrl('http://github.com/stellar/soroban-examples')).toBeNull();
    expect(safeHttpsUrl('javascript:alert(1)')).toBeNull();
    expect(safeHttpsUrl(null)).toBeNull();
    expect(homeDomainUrl('Stellar.org')).toBe('https://stellar.org');
    expect(homeDomainUrl('app.example-dex.io')).toBe('https://app.example-dex.io');
    for (const bad of ['localhost', 'https://stellar.org', 'stellar.org/path', 'evil.com@stellar.org', 'stellar.org:8080',
      '-bad.org', 'a..b', 'javascript:alert(1)', '<b>x</b>.org', '', null]) {
      expect(homeDomainUrl(bad), String(bad)).toBeNull();
    }
  });

  test('labels', () => {
    expect(sepLabel(41)).toBe('SEP-41');
    expect(versionKindLabel('OBSERVED')).toBe('observed');
    expect(formatSeconds(59.6)).toBe('1 min');
    expect(formatSeconds(-3)).toBe('0 s');
  });

  test('dates, ages, sizes and short ids', () => {
    expect(formatDateTime('2026-11-27T07:18:45Z')).toBe('2026-11-27 07:18 UTC');
    expect(formatDateTime('not a date')).toBe('not a date');
    const now = new Date('2026-11-27T12:00:00Z');
    expect(formatAgo('2026-11-27T11:59:30Z', now)).toBe('30 s ago');
    expect(formatAgo('2026-11-27T09:00:00Z', now)).toBe('3 h ago');
    expect(formatAgo('2026-11-20T12:00:00Z', now)).toBe('7 d ago');
    expect(formatBytes(512)).toBe('512 B');
    expect(formatBytes(2048)).toBe('2.0 KiB');
    expect(shortId('CABCDEFGHIJKLMNOPQRSTUVWXYZ', 4)).toBe('CABC…WXYZ');
    expect(shortId('SHORT', 4)).toBe('SHORT');
  });
});

describe('daily series', () => {
  test('every day of the range, across a month end, oldest first', () => {
    expect(lastDays(3, new Date('2026-03-01T23:59:00Z'))).toEqual(['2026-02-27', '2026-02-28', '2026-03-01']);
  });

  test('days without rows are zero', () => {
    const days = ['2026-11-25', '2026-11-26', '2026-11-27'];
    const rows = [{ day: '2026-11-26', n: 4 }, { day: '2026-10-01', n: 9 }];
    expect(fillDays(days, rows, (r) => r.n)).toEqual([0, 4, 0]);
  });
});

describe('type expressions', () => {
  test("the contract's own types are marked, everything else stays text", () => {
    const types = new Set(['DataKey', 'Signature']);
    expect(tokenizeType('Map<DataKey, Vec<Signature>>', types)).toEqual([
      { text: 'Map<' },
      { text: 'DataKey', userType: 'DataKey' },
      { text: ', Vec<' },
      { text: 'Signature', userType: 'Signature' },
      { text: '>>' },
    ]);
    // A name that only contains a type name is not that type.
    expect(tokenizeType('DataKeys', types)).toEqual([{ text: 'DataKeys' }]);
    expect(tokenizeType('u32', types)).toEqual([{ text: 'u32' }]);
  });
});
