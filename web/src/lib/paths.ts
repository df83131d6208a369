// The explorer's URLs, in one place.
import type { Network } from '../gql/graphql';
import { networkSlug } from './network';

export const contractPath = (network: Network, contractId: string) =>
  `/contracts/${networkSlug(network)}/${encodeURIComponent(contractId)}`;
export const wasmPath = (hash: string) => `/wasm/${encodeURIComponent(hash)}`;
export const publisherPath = (address: string) => `/publishers/${encodeURIComponent(address)}`;
export const tagPath = (name: string, network?: Network | null) =>
  `/tags/${encodeURIComponent(name)}${network ? `?network=${networkSlug(network)}` : ''}`;
