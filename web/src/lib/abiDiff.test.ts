import { describe, expect, test } from 'vitest';
import { changeSummary, subjectLabel } from './abiDiff';

describe('interface changes', () => {
  test('the summary counts the changes and the breaking ones', () => {
    const b = { severity: 'BREAKING' as const };
    const c = { severity: 'COMPATIBLE' as const };
    expect(changeSummary([])).toBe('No interface change');
    expect(changeSummary([c])).toBe('1 interface change, all compatible');
    expect(changeSummary([c, b, b])).toBe('3 interface changes, 2 breaking');
    expect(changeSummary([b])).toBe('1 interface change, 1 breaking');
  });

  test('subjects read as words', () => {
    expect(subjectLabel('ERROR_ENUM')).toBe('error enum');
    expect(subjectLabel('UNION')).toBe('enum');
    expect(subjectLabel('FUNCTION')).toBe('function');
  });
});
