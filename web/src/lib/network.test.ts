import { describe, expect, test } from 'vitest';
import { chooseNetwork, indexedNetwork } from './network';

describe('the network a page opens on', () => {
  const statuses = [{ network: 'TESTNET' }, { network: 'MAINNET' }] as const;

  test('the network being indexed is the first of the status list, else mainnet', () => {
    expect(indexedNetwork(statuses)).toBe('TESTNET');
    expect(indexedNetwork([{ network: 'LOCAL' }])).toBe('LOCAL');
    expect(indexedNetwork([])).toBe('MAINNET');
  });

  test('the URL wins, then the remembered choice, then the indexed network', () => {
    expect(chooseNetwork('futurenet', 'MAINNET', statuses)).toBe('FUTURENET');
    expect(chooseNetwork(null, 'MAINNET', statuses)).toBe('MAINNET');
    expect(chooseNetwork(null, null, statuses)).toBe('TESTNET');
    expect(chooseNetwork(null, null, [])).toBe('MAINNET');
  });

  test('an unknown network in the URL counts as none', () => {
    expect(chooseNetwork('moonnet', null, statuses)).toBe('TESTNET');
    expect(chooseNetwork('moonnet', 'LOCAL', statuses)).toBe('LOCAL');
  });

  test('undecided while the status list is needed and has not arrived', () => {
    expect(chooseNetwork(null, null, undefined)).toBeNull();
    expect(chooseNetwork('local', null, undefined)).toBe('LOCAL');
    expect(chooseNetwork(null, 'TESTNET', undefined)).toBe('TESTNET');
  });
});
