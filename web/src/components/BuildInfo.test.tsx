import { cleanup, render } from '@testing-library/react';
import { afterEach, describe, expect, test } from 'vitest';
import type { BuildInfoFactsFragment } from '../gql/graphql';
import { BuildInfoRows, SepLabels, toolchainText } from './BuildInfo';

afterEach(cleanup);

const hostile = '<img src=x onerror="window.pwned=1">';

const info: BuildInfoFactsFragment = {
  sourceRepo: 'github:stellar/soroban-examples',
  sourceUrl: 'https://github.com/stellar/soroban-examples',
  homeDomain: 'stellar.org',
  cliVersion: '23.0.1',
  rustVersion: '1.89.0',
  sdkVersion: '23.0.2',
};

const rows = (i: BuildInfoFactsFragment) =>
  render(
    <dl>
      <BuildInfoRows info={i} />
    </dl>,
  ).container;

describe('build info', () => {
  test('links the repository and the home domain, safely, and names the toolchain', () => {
    const c = rows(info);
    const links = [...c.querySelectorAll('a')].map((a) => [a.textContent, a.getAttribute('href'), a.getAttribute('rel')]);
    expect(links).toEqual([
      ['github:stellar/soroban-examples', 'https://github.com/stellar/soroban-examples', 'noopener noreferrer nofollow ugc'],
      ['stellar.org', 'https://stellar.org', 'noopener noreferrer nofollow ugc'],
    ]);
    expect(c.querySelector('.build-toolchain')?.textContent).toBe('stellar-cli 23.0.1 · rustc 1.89.0 · soroban-sdk 23.0.2');
  });

  test('anything but an https repository or a plain domain stays text, never markup', () => {
    const c = rows({ ...info, sourceRepo: hostile, sourceUrl: 'javascript:alert(1)', homeDomain: hostile });
    expect(c.querySelector('a')).toBeNull();
    expect(c.querySelector('img')).toBeNull();
    expect(c.querySelector('.build-source')?.textContent).toContain(hostile);
    expect(c.querySelector('.build-home')?.textContent).toBe(hostile);
  });

  test('what the meta does not say is left out', () => {
    const empty = { sourceRepo: null, sourceUrl: null, homeDomain: null, cliVersion: null, rustVersion: null, sdkVersion: null };
    expect(rows(empty).querySelectorAll('dt')).toHaveLength(0);
    expect(toolchainText({ ...empty, sdkVersion: '22.0.0' })).toBe('soroban-sdk 22.0.0');
  });

  test('SEPs are small labels', () => {
    const { container } = render(<SepLabels seps={[41, 47]} />);
    expect([...container.querySelectorAll('.sep')].map((s) => s.textContent)).toEqual(['SEP-41', 'SEP-47']);
    cleanup();
    expect(render(<SepLabels seps={[]} />).container.innerHTML).toBe('');
  });
});
