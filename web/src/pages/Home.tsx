// Home: what the network's indexer is doing, the network's figures, deployments per day, and new
// deployments as they happen.
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore } from 'react';
import { Link } from 'react-router';
import { useQuery, useSubscription } from 'urql';
import { ContractTable } from '../components/ContractTable';
import { DailyChart } from '../components/DailyChart';
import { IndexerStatusPanel } from '../components/IndexerStatus';
import { useNetwork } from '../components/Layout';
import { Empty, ErrorState, Loading } from '../components/States';
import { graphql } from '../gql';
import type { ContractRowFragment, Network } from '../gql/graphql';
import { getLiveState, onReconnect, subscribeLiveState } from '../lib/client';
import { formatNumber } from '../lib/format';
import { networkLabel, networkSlug } from '../lib/network';
import { fillDays, lastDays } from '../lib/series';

const HomeQuery = graphql(`
  query Home($network: Network!) {
    analytics {
      networkSummary(network: $network) {
        contracts
        wasmContracts
        assetContracts
        wasms
        publishers
        deploymentsToday
        invocationsToday
      }
      deploymentsPerDay(network: $network, days: 30) {
        day
        count
      }
    }
  }
`);

const NewestQuery = graphql(`
  query Newest($network: Network!) {
    contracts(first: 10, filter: { network: $network }, orderBy: NEWEST) {
      nodes {
        ...ContractRow
      }
    }
  }
`);

const DeployedSubscription = graphql(`
  subscription Deployed($network: Network!, $after: String) {
    contractDeployed(network: $network, after: $after) {
      cursor
      contract {
        ...ContractRow
      }
    }
  }
`);

const LIVE_MAX = 20;

function Summary({ network, refresh }: { network: Network; refresh: number }) {
  const [{ data, error, fetching }, reexecute] = useQuery({ query: HomeQuery, variables: { network } });
  useEffect(() => {
    if (refresh > 0) reexecute({ requestPolicy: 'network-only' });
  }, [refresh, reexecute]);
  // The window moves at midnight UTC (on the next render after it).
  const today = new Date().toISOString().slice(0, 10);
  const days = useMemo(() => lastDays(30, new Date(`${today}T00:00:00Z`)), [today]);
  const counts = useMemo(
    () => fillDays(days, data?.analytics.deploymentsPerDay ?? [], (r) => r.count),
    [days, data],
  );
  const series = useMemo(() => [{ label: 'Deployments', values: counts, color: '#5b4bd6' }], [counts]);
  if (error && !data) return <ErrorState error={error} what="the network summary" />;
  if (!data) return fetching ? <Loading what="the network summary" /> : null;
  const s = data.analytics.networkSummary;
  const figures: [string, number][] = [
    ['Contracts', s.contracts],
    ['WASM codes', s.wasms],
    ['Deployments today', s.deploymentsToday],
    ['Invocations today', s.invocationsToday],
    ['Publishers', s.publishers],
  ];
  return (
    <>
      <dl className="figures" aria-label={`${networkLabel(network)} summary`}>
        {figures.map(([label, value]) => (
          <div key={label} className="figure">
            <dt>{label}</dt>
            <dd>{formatNumber(value)}</dd>
          </div>
        ))}
      </dl>
      <DailyChart title="Deployments per day, last 30 days (UTC)" days={days} series={series} />
    </>
  );
}

/** The newest contracts, then every new one as the registry indexes it. Mounted once per
 * network (keyed), so a switch starts from an empty live list and no cursor. */
function LiveDeployments({ network, onNew }: { network: Network; onNew: () => void }) {
  const [{ data, error, fetching }, refetchNewest] = useQuery({ query: NewestQuery, variables: { network } });
  const socket = useSyncExternalStore(subscribeLiveState, getLiveState);
  // After a dropped connection, resume from the last event seen, and read the newest again in
  // case the drop came before any event: nothing deployed meanwhile is missed.
  const lastCursor = useRef<string | null>(null);
  const [after, setAfter] = useState<string | null>(null);
  useEffect(
    () =>
      onReconnect(() => {
        setAfter(lastCursor.current);
        refetchNewest({ requestPolicy: 'network-only' });
      }),
    [refetchNewest],
  );
  const [live] = useSubscription(
    { query: DeployedSubscription, variables: { network, after } },
    (prev: ContractRowFragment[] = [], event) => {
      lastCursor.current = event.contractDeployed.cursor;
      const c = event.contractDeployed.contract;
      return c ? [c, ...prev.filter((p) => p.id !== c.id)].slice(0, LIVE_MAX) : prev;
    },
  );
  const fresh = live.data;
  useEffect(() => {
    if (fresh && fresh.length > 0) onNew();
  }, [fresh, onNew]);
  const rows = useMemo(() => {
    const merged = [...(fresh ?? []), ...(data?.contracts.nodes ?? [])];
    const ids = new Set<string>();
    return merged.filter((c) => (ids.has(c.id) ? false : (ids.add(c.id), true))).slice(0, LIVE_MAX);
  }, [fresh, data]);
  const down = socket === 'reconnecting' || Boolean(live.error);
  return (
    <section aria-labelledby="live-title" className="live">
      <h2 id="live-title">
        New deployments <span className={`live-dot ${down ? 'off' : 'on'}`} aria-hidden="true" />
        <span className="live-state" role="status">
          {down ? 'reconnecting…' : socket === 'connected' ? 'live' : 'connecting…'}
        </span>
      </h2>
      <div aria-live="polite" aria-relevant="additions" id="live-list">
        {error && !data ? (
          <ErrorState error={error} what="the newest contracts" />
        ) : !data && fetching ? (
          <Loading what="the newest contracts" />
        ) : rows.length === 0 ? (
          <Empty>No contracts on {networkLabel(network)} yet. New ones appear here as they are deployed.</Empty>
        ) : (
          <ContractTable contracts={rows} caption={`Newest contracts on ${networkLabel(network)}`} />
        )}
      </div>
      <p>
        <Link to={`/contracts?network=${networkSlug(network)}`}>All contracts on {networkLabel(network)} →</Link>
      </p>
    </section>
  );
}

export function Home() {
  const network = useNetwork();
  const [refresh, setRefresh] = useState(0);
  // A new deployment changes the figures: fetch them again, at most every few seconds.
  const pending = useRef<number | null>(null);
  const onNew = useCallback(() => {
    if (pending.current !== null) return;
    pending.current = window.setTimeout(() => {
      pending.current = null;
      setRefresh((r) => r + 1);
    }, 3000);
  }, []);
  useEffect(() => () => {
    if (pending.current !== null) window.clearTimeout(pending.current);
  }, []);
  // No network named anywhere: the indexer's status tells which one it is indexing.
  if (!network) return <Loading what="the indexed network" />;
  return (
    <>
      <h1>{networkLabel(network)}</h1>
      <IndexerStatusPanel network={network} refresh={refresh} />
      <Summary network={network} refresh={refresh} />
      <LiveDeployments key={network} network={network} onNew={onNew} />
    </>
  );
}
