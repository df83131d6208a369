// The networks the registry knows, as the API spells them and as URLs spell them.
import type { Network } from '../gql/graphql';

export const NETWORKS: readonly Network[] = ['MAINNET', 'TESTNET', 'FUTURENET', 'LOCAL'];

const LABELS: Record<Network, string> = {
  MAINNET: 'Mainnet',
  TESTNET: 'Testnet',
  FUTURENET: 'Futurenet',
  LOCAL: 'Local',
};

export const DEFAULT_NETWORK: Network = 'MAINNET';
const STORAGE_KEY = 'registry.network';

export function networkLabel(n: Network): string {
  return LABELS[n];
}

/** `mainnet` in a URL for `MAINNET` in the API. */
export function networkSlug(n: Network): string {
  return n.toLowerCase();
}

/** The network a URL segment or parameter names, or null for anything else. */
export function parseNetwork(value: string | null | undefined): Network | null {
  if (!value) return null;
  const upper = value.toUpperCase();
  return (NETWORKS as readonly string[]).includes(upper) ? (upper as Network) : null;
}

/** The network the visitor last chose (kept in the browser), else mainnet. */
export function rememberedNetwork(): Network {
  try {
    return parseNetwork(window.localStorage.getItem(STORAGE_KEY)) ?? DEFAULT_NETWORK;
  } catch {
    return DEFAULT_NETWORK;
  }
}

export function rememberNetwork(n: Network): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, networkSlug(n));
  } catch {
    // Storage may be disabled; the URL still carries the choice.
  }
}
