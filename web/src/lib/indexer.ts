// What the indexer of a network is doing, in words for the home page.
import type { IndexerStatus, Network } from '../gql/graphql';
import { formatNumber, formatSeconds } from './format';
import { networkLabel } from './network';

export type IndexerStatusFields = Pick<
  IndexerStatus,
  'network' | 'state' | 'rpcUrl' | 'detail' | 'lastLedger' | 'lagLedgers' | 'lagSeconds'
>;

/** How the state reads at a glance: in step, busy, failing, or nothing known. */
export type IndexerTone = 'ok' | 'busy' | 'down' | 'none';

export interface IndexerDescription {
  tone: IndexerTone;
  /** One sentence: what the indexer of the network is doing. */
  sentence: string;
  /** The indexer's own words (why it cannot go on), when it gave any. */
  detail: string | null;
  /** The last ledger written and how long ago it closed; null before the first. */
  progress: string | null;
  /** Nothing is coming from this network: worth pointing at the offline ways to explore. */
  offline: boolean;
}

function ledgers(n: number): string {
  return `${formatNumber(n)} ${n === 1 ? 'ledger' : 'ledgers'}`;
}

/** The status of `network`'s indexer, from the whole list (`undefined` entry: none reported). */
export function statusFor<T extends { network: Network }>(statuses: readonly T[], network: Network): T | undefined {
  return statuses.find((s) => s.network === network);
}

export function describeIndexer(status: IndexerStatusFields | undefined, network: Network): IndexerDescription {
  const name = networkLabel(network);
  if (!status) {
    return {
      tone: 'none',
      sentence: `Nothing has been indexed on ${name} yet.`,
      detail: null,
      progress: null,
      offline: true,
    };
  }
  const behind = status.lagLedgers != null ? `, ${ledgers(status.lagLedgers)} behind` : '';
  const progress =
    status.lastLedger != null
      ? `Last indexed ledger ${formatNumber(status.lastLedger)}${
          status.lagSeconds != null ? `, closed ${formatSeconds(status.lagSeconds)} ago` : ''
        }.`
      : null;
  const nothingYet = status.lastLedger == null;
  const base = { detail: status.detail || null, progress, offline: nothingYet };
  switch (status.state) {
    case 'FOLLOWING':
      return { ...base, tone: 'ok', sentence: `The indexer is following ${name}${behind}.` };
    case 'CATCHING_UP':
      return { ...base, tone: 'busy', sentence: `The indexer is catching up with ${name}${behind}.` };
    case 'STARTING':
      return { ...base, tone: 'busy', sentence: `The indexer of ${name} is starting.` };
    case 'RPC_UNREACHABLE':
      return {
        ...base,
        tone: 'down',
        sentence: `The indexer cannot reach the Stellar RPC${status.rpcUrl ? ` at ${status.rpcUrl}` : ''} and is retrying.`,
        offline: true,
      };
        case 'RETRYING':
      return { ...base, tone: 'busy', sentence: `The indexer of ${name} hit an error and is retrying.` };
    case 'STOPPED':
      return { ...base, tone: 'down', sentence: `The indexer of ${name} has stopped.` };
    case 'UNKNOWN':
      // An indexer that records no state (older than the field): only its position is known.
      return nothingYet
        ? { ...base, tone: 'none', sentence: `Nothing has been indexed on ${name} yet.` }
        : {
            ...base,
            tone: 'none',
            sentence: `${name} is indexed up to ledger ${formatNumber(status.lastLedger ?? 0)}${behind}.`,
            progress: status.lagSeconds != null ? `That ledger closed ${formatSeconds(status.lagSeconds)} ago.` : null,
          };
  }
}
