import { cleanup, render, screen } from '@testing-library/react';
import { Client, Provider, fetchExchange } from 'urql';
import { afterEach, describe, expect, test } from 'vitest';
import type { IndexerStatusQuery as Result } from '../gql/graphql';
import { IndexerStatusPanel } from './IndexerStatus';

afterEach(cleanup);

type Status = Result['analytics']['indexerStatus'][number];

const following: Status = {
  network: 'TESTNET',
  state: 'FOLLOWING',
  stateSince: '2026-11-27T07:00:00Z',
  rpcUrl: 'https://soroban-testnet.stellar.org',
  detail: null,
  lastLedger: 500_000,
  lastLedgerClosedAt: '2026-11-27T07:18:40Z',
  latestLedger: 500_001,
  lagLedgers: 1,
  lagSeconds: 5,
  updatedAt: '2026-11-27T07:18:45Z',
};

/** The panel, against an API that answers `statuses`; resolves once it shows them. */
async function show(statuses: Status[], network: Status['network']) {
  const body = JSON.stringify({ data: { analytics: { indexerStatus: statuses } } });
  const client = new Client({
    url: 'http://registry.test/graphql',
    exchanges: [fetchExchange],
    fetch: async () => new Response(body, { headers: { 'content-type': 'application/json' } }),
  });
  const { container } = render(
    <Provider value={client}>
      <IndexerStatusPanel network={network} refresh={0} />
    </Provider>,
  );
  await screen.findByRole('region', { name: 'Indexer' });
  return container;
}

describe('the indexer status panel', () => {
  test("shows the selected network's state, without the offline hint while data comes in", async () => {
    const c = await show([{ ...following, network: 'MAINNET', state: 'STOPPED' }, following], 'TESTNET');
    expect(c.querySelector('.indexer-state')?.textContent).toBe('The indexer is following Testnet, 1 ledger behind.');
    expect(c.querySelector('.indexer-progress')?.textContent).toBe('Last indexed ledger 500,000, closed 5 s ago.');
    expect(c.querySelector('.indexer-hint')).toBeNull();
  });

  test('an unreachable RPC says where, why, since when, and how to explore without it', async () => {
    const hostile = '<b>refused</b>';
    const c = await show([{ ...following, state: 'RPC_UNREACHABLE', rpcUrl: 'http://localhost:8000', detail: hostile }], 'TESTNET');
    expect(c.querySelector('.indexer-down')).not.toBeNull();
    expect(c.querySelector('.indexer-state')?.textContent).toBe(
      'The indexer cannot reach the Stellar RPC at http://localhost:8000 and is retrying. (since 2026-11-27 07:00 UTC)',
    );
    expect(c.querySelector('.indexer-detail')?.textContent).toBe(hostile);
    expect(c.querySelector('b')).toBeNull();
    expect(screen.getByText('make demo')).toBeTruthy();
    expect(screen.getByText('make seed')).toBeTruthy();
  });

  test('a network without an entry has nothing indexed yet', async () => {
    const c = await show([following], 'LOCAL');
    expect(c.querySelector('.indexer-state')?.textContent).toBe('Nothing has been indexed on Local yet.');
    expect(c.querySelector('.indexer-hint')?.textContent).toContain('make demo');
  });
});
