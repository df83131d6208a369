import { describe, expect, test } from 'vitest';
import { type IndexerStatusFields, describeIndexer, statusFor } from './indexer';

const base: IndexerStatusFields = {
  network: 'TESTNET',
  state: 'FOLLOWING',
  rpcUrl: 'https://soroban-testnet.stellar.org',
  detail: null,
  lastLedger: 1_234_567,
  lagLedgers: 2,
  lagSeconds: 9,
};

describe("the indexer's state in words", () => {
  test('following and catching up say how far behind', () => {
    const d = describeIndexer(base, 'TESTNET');
    expect(d).toEqual({
      tone: 'ok',
      sentence: 'The indexer is following Testnet, 2 ledgers behind.',
      detail: null,
      progress: 'Last indexed ledger 1,234,567, closed 9 s ago.',
      offline: false,
    });
    expect(describeIndexer({ ...base, lagLedgers: 1 }, 'TESTNET').sentence).toBe(
      'The indexer is following Testnet, 1 ledger behind.',
    );
    const c = describeIndexer({ ...base, state: 'CATCHING_UP', lagLedgers: 120_000, lagSeconds: 7200 }, 'TESTNET');
    expect(c.tone).toBe('busy');
    expect(c.sentence).toBe('The indexer is catching up with Testnet, 120,000 ledgers behind.');
    expect(c.progress).toBe('Last indexed ledger 1,234,567, closed 2 h ago.');
  });

  test('an unreachable RPC names its address, gives the reason, and points at the offline ways', () => {
    const d = describeIndexer(
      { ...base, state: 'RPC_UNREACHABLE', rpcUrl: 'http://localhost:8000/rpc', detail: 'connection refused' },
      'TESTNET',
    );
    expect(d.tone).toBe('down');
    expect(d.sentence).toBe('The indexer cannot reach the Stellar RPC at http://localhost:8000/rpc and is retrying.');
    expect(d.detail).toBe('connection refused');
    expect(d.offline).toBe(true);
  });

    test('stopped, retrying and starting', () => {
    const s = describeIndexer({ ...base, state: 'STOPPED', detail: 'the RPC serves another network' }, 'MAINNET');
    expect(s.tone).toBe('down');
    expect(s.sentence).toBe('The indexer of Mainnet has stopped.');
    expect(s.detail).toBe('the RPC serves another network');
    expect(s.offline).toBe(false);
        const r = describeIndexer({ ...base, state: 'RETRYING', detail: 'database: connection refused' }, 'MAINNET');
    expect(r.tone).toBe('busy');
    expect(r.sentence).toBe('The indexer of Mainnet hit an error and is retrying.');
    expect(r.detail).toBe('database: connection refused');
    const st = describeIndexer({ ...base, state: 'STARTING', lastLedger: null, lagLedgers: null, lagSeconds: null }, 'LOCAL');
    expect(st.sentence).toBe('The indexer of Local is starting.');
    expect(st.progress).toBeNull();
    // Nothing indexed yet.
    expect(st.offline).toBe(true);
  });

  test('a network without an entry has nothing indexed', () => {
    expect(describeIndexer(undefined, 'FUTURENET')).toEqual({
      tone: 'none',
      sentence: 'Nothing has been indexed on Futurenet yet.',
      detail: null,
      progress: null,
      offline: true,
    });
  });

  test('an indexer that records no state is described by its position', () => {
    const d = describeIndexer({ ...base, state: 'UNKNOWN', lagLedgers: 0, lagSeconds: 300 }, 'TESTNET');
    expect(d.sentence).toBe('Testnet is indexed up to ledger 1,234,567, 0 ledgers behind.');
    expect(d.progress).toBe('That ledger closed 5 min ago.');
    expect(d.offline).toBe(false);
    const none = describeIndexer({ ...base, state: 'UNKNOWN', lastLedger: null, lagLedgers: null, lagSeconds: null }, 'TESTNET');
    expect(none.sentence).toBe('Nothing has been indexed on Testnet yet.');
    expect(none.offline).toBe(true);
  });

  test("the selected network's entry is found in the list", () => {
    const list = [base, { ...base, network: 'MAINNET' as const }];
    expect(statusFor(list, 'MAINNET')).toBe(list[1]);
    expect(statusFor(list, 'LOCAL')).toBeUndefined();
  });
});
