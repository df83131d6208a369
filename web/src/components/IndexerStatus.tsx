// What the indexer of a network is doing: following it, catching up, unable to reach its RPC,
// stopped, or nothing indexed yet (with the ways to explore without a network).
import { useEffect } from 'react';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import type { Network } from '../gql/graphql';
import { formatDateTime } from '../lib/format';
import { describeIndexer, statusFor } from '../lib/indexer';
import { ErrorState } from './States';

/** The indexer's progress on every network, the most recently active first. The layout reads it
 * to choose the default network, the home page to show the selected network's. */
export const IndexerStatusQuery = graphql(`
  query IndexerStatus {
    analytics {
      indexerStatus {
        network
        state
        stateSince
        rpcUrl
        detail
        lastLedger
        lastLedgerClosedAt
        latestLedger
        lagLedgers
        lagSeconds
        updatedAt
      }
    }
  }
`);

/** How often the home page reads the status again. */
const REFRESH_MS = 30_000;

export function IndexerStatusPanel({ network, refresh }: { network: Network; refresh: number }) {
  const [{ data, error }, reexecute] = useQuery({ query: IndexerStatusQuery });
  useEffect(() => {
    if (refresh > 0) reexecute({ requestPolicy: 'network-only' });
  }, [refresh, reexecute]);
  useEffect(() => {
    const t = window.setInterval(() => reexecute({ requestPolicy: 'network-only' }), REFRESH_MS);
    return () => window.clearInterval(t);
  }, [reexecute]);
  if (error && !data) return <ErrorState error={error} what="the indexer's status" />;
  if (!data) return null;
  const status = statusFor(data.analytics.indexerStatus, network);
  const d = describeIndexer(status, network);
  return (
    <section className={`indexer indexer-${d.tone}`} aria-label="Indexer" id="indexer-status">
      <p className="indexer-state">
        <span className="indexer-dot" aria-hidden="true" />
        {d.sentence}
        {status?.stateSince && d.tone !== 'ok' && d.tone !== 'none' && (
          <>
            {' '}
            <span className="indexer-since">
              (since <time dateTime={status.stateSince}>{formatDateTime(status.stateSince)}</time>)
            </span>
          </>
        )}
      </p>
      {d.detail && <p className="indexer-detail">{d.detail}</p>}
      {d.progress && <p className="indexer-progress">{d.progress}</p>}
      {d.offline && (
        <p className="indexer-hint">
          To explore without internet access, run <code>make demo</code> (a simulated network) or{' '}
          <code>make seed</code> (realistic sample data).
        </p>
      )}
    </section>
  );
}
