// The networks the registry knows, as the API spells them and as URLs spell them.
import type { Network } from '../gql/graphql';

export const NETWORKS: readonly Network[] = ['MAINNET', 'TESTNET', 'FUTURENET', 'LOCAL'];

const LABELS: Record<Network, string> = {
  MAINNET: 'Mainnet',
  TESTNET: 'Testnet',
  FUTURENET: 'Futurenet',
  LOCAL: 'Local',
};

/** The network shown when nothing else names one and no indexer has reported. */
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

/** The network the visitor last chose (kept in the browser), or null before any choice. */
export function rememberedNetwork(): Network | null {
  try {
    return parseNetwork(window.localStorage.getItem(STORAGE_KEY));
  } catch {
    return null;
  }
}

export function rememberNetwork(n: Network): void {
  try {
    window.localStorage.setItem(STORAGE_KEY, networkSlug(n));
  } catch {
    // Storage may be disabled; the URL still carries the choice.
  }
}

/** The network being indexed: the first of the indexer's status list (the most recently active),
 * else mainnet. */
export function indexedNetwork(statuses: readonly { network: Network }[]): Network {
  return statuses[0]?.network ?? DEFAULT_NETWORK;
}

/**
 * The network a page opens on: the one the URL names, else the visitor's last choice, else the
 * network being indexed. Null while that last is needed and the status list (`statuses`) has not
 * arrived.
 */
export function chooseNetwork(
  fromUrl: string | null | undefined,
  remembered: Network | null,
  statuses: readonly { network: Network }[] | undefined,
): Network | null {
  const named = parseNetwork(fromUrl) ?? remembered;
  if (named) return named;
  return statuses ? indexedNetwork(statuses) : null;
}
