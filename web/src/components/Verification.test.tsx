import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, test } from 'vitest';
import type { BuildVerificationFactsFragment } from '../gql/graphql';
import { VerificationBadge, VerificationDetails } from './Verification';

afterEach(cleanup);

const COMMIT = '0123456789abcdef0123456789abcdef01234567';
const verified: BuildVerificationFactsFragment = {
  status: 'VERIFIED',
  queued: false,
  reason: null,
  repository: 'github:acme/token',
  repositoryUrl: 'https://github.com/acme/token',
  commit: COMMIT,
  commitUrl: `https://github.com/acme/token/commit/${COMMIT}`,
  workflow: 'acme/token/.github/workflows/release.yml@refs/tags/v1.0.0',
  runUrl: 'https://github.com/acme/token/actions/runs/1234567890/attempts/1',
  signedAt: '2026-11-29T10:00:00Z',
  checkedAt: '2026-11-29T10:00:05Z',
};

const details = (v: BuildVerificationFactsFragment, status = v.status) =>
  render(<VerificationDetails v={v} status={status} />).container;

describe('build verification', () => {
  test('a badge per status', () => {
    const c = render(
      <>
        <VerificationBadge status="VERIFIED" />
        <VerificationBadge status="FAILED" />
        <VerificationBadge status="PENDING" />
        <VerificationBadge status="UNVERIFIED" />
      </>,
    ).container;
    expect([...c.querySelectorAll('.verification-badge')].map((b) => [b.className, b.textContent])).toEqual([
      ['verification-badge verification-verified', 'Verified'],
      ['verification-badge verification-failed', 'Failed'],
      ['verification-badge verification-pending', 'Pending'],
      ['verification-badge verification-unverified', 'Unverified'],
    ]);
  });

  test('a verified build links its repository, commit and run', () => {
    const c = details(verified);
    const links = [...c.querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('rel')]);
    expect(links).toEqual([
      ['github:acme/token', 'https://github.com/acme/token', 'noopener noreferrer nofollow ugc'],
      [COMMIT, `https://github.com/acme/token/commit/${COMMIT}`, 'noopener noreferrer nofollow ugc'],
      [
        'github.com/acme/token/actions/runs/1234567890/attempts/1',
        'https://github.com/acme/token/actions/runs/1234567890/attempts/1',
        'noopener noreferrer nofollow ugc',
      ],
    ]);
    expect(c.querySelector('.verification-workflow')?.textContent).toBe(verified.workflow);
    expect(c.textContent).toContain('not that the code is safe');
  });

  test('a failure says why, and a new check after it is said to be queued', () => {
    const failed = {
      ...verified,
      status: 'FAILED' as const,
      reason: 'github:acme/token has no build attestation for this WASM’s hash',
      commit: null,
      commitUrl: null,
      workflow: null,
      runUrl: null,
      signedAt: null,
    };
    expect(details(failed).querySelector('.verification-reason')?.textContent).toBe(failed.reason);
    cleanup();
    const again = details({ ...failed, queued: true });
    expect(again.querySelector('.verification-reason')?.textContent).toBe(failed.reason);
    expect(again.querySelector('.verification-queued')?.textContent).toContain('A new check is queued');
    cleanup();
    // A contract still pending on a WASM whose last verdict failed (the verdict not yet read).
    const pending = details({ ...failed, queued: true }, 'PENDING');
    expect(pending.querySelector('.verification-queued')?.textContent).toContain('A check is queued');
    expect(pending.textContent).toContain(`The last one failed: ${failed.reason}`);
  });

  test('what the verifier recorded is text, and only https addresses become links', () => {
    const hostile = '<img src=x onerror="window.pwned=1">';
    const c = details({
      ...verified,
      status: 'FAILED',
      reason: hostile,
      repository: hostile,
      repositoryUrl: 'javascript:alert(1)',
      commitUrl: 'http://github.com/acme/token/commit/x',
      runUrl: 'data:text/html,x',
    });
    expect(c.querySelector('a')).toBeNull();
    expect(c.querySelector('img')).toBeNull();
    expect(c.querySelector('.verification-reason')?.textContent).toBe(hostile);
    expect(c.querySelector('.verification-repository')?.textContent).toBe(hostile);
  });
});
