import { describe, expect, test } from 'vitest';
import { isNewerVerdict } from './verification';

describe('build verification', () => {
  test('a live verdict wins only when it was given after what the page read', () => {
    const at = (checkedAt: string | null) => ({ checkedAt });
    expect(isNewerVerdict(at('2026-11-29T10:00:01Z'), at('2026-11-29T10:00:00Z'))).toBe(true);
    expect(isNewerVerdict(at('2026-11-29T10:00:00Z'), at(null))).toBe(true);
    expect(isNewerVerdict(at('2026-11-29T10:00:00Z'), null)).toBe(true);
    expect(isNewerVerdict(at('2026-11-29T10:00:00Z'), at('2026-11-29T10:00:00Z'))).toBe(false);
    expect(isNewerVerdict(at('2026-11-29T09:00:00Z'), at('2026-11-29T10:00:00Z'))).toBe(false);
    expect(isNewerVerdict(at(null), at(null))).toBe(false);
    expect(isNewerVerdict(undefined, at(null))).toBe(false);
  });
});
