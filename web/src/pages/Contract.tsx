// One contract: identity, interface, history, tags and usage.
import { useEffect, useMemo } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { useQuery } from 'urql';
import { AbiSection } from '../components/AbiView';
import { CopyButton } from '../components/CopyButton';
import { DailyChart } from '../components/DailyChart';
import { ErrorState, Loading, badInput } from '../components/States';
import { Table } from '../components/Table';
import { TagList } from '../components/TagList';
import { graphql } from '../gql';
import {
  formatBytes,
  formatDateTime,
  formatNumber,
  kindLabel,
  shortId,
  verificationLabel,
} from '../lib/format';
import { networkLabel, parseNetwork } from '../lib/network';
import { publisherPath, wasmPath } from '../lib/paths';
import { fillDays, lastDays } from '../lib/series';
import { NotFound } from './NotFound';

const ContractQuery = graphql(`
  query ContractPage($network: Network!, $contractId: String!) {
    contract(network: $network, contractId: $contractId) {
      id
      contractId
      network
      kind
      name
      description
      deployer
      createdLedger
      createdAt
      createdTx
      wasmHash
      verification
      tags {
        name
        source
      }
      publisher {
        address
        displayName
      }
      wasm {
        hash
        sizeBytes
        sdkVersion
        specError
      }
      abi {
        ...AbiView
      }
      versions {
        ledger
        changedAt
        txHash
        oldWasmHash
        newWasmHash
      }
      dailyStats(days: 30) {
        day
        invocations
        failedInvocations
      }
      functionStats(days: 30) {
        function
        calls
        failedCalls
      }
    }
  }
`);

/** Scrolls to the element the URL's hash names once it exists (the ABI arrives after load). */
function useScrollToHash(ready: boolean) {
  const { hash } = useLocation();
  useEffect(() => {
    if (!ready || !hash) return;
    let id = hash.slice(1);
    try {
      id = decodeURIComponent(id);
    } catch {
      // A malformed escape: look the id up as written.
    }
    const el = document.getElementById(id);
    if (el) {
      el.scrollIntoView();
      el.focus({ preventScroll: true });
    }
  }, [ready, hash]);
}

function Hash({ hash }: { hash: string }) {
  return (
    <Link to={wasmPath(hash)}>
      <code className="hash">{shortId(hash, 10)}</code>
    </Link>
  );
}

export function Contract() {
  const params = useParams();
  const network = parseNetwork(params.network);
  const contractId = params.contractId ?? '';
  const [{ data, error, fetching }] = useQuery({
    query: ContractQuery,
    variables: { network: network ?? 'MAINNET', contractId },
    pause: !network,
  });
  const c = data?.contract;
  useScrollToHash(Boolean(c));
  // The window moves at midnight UTC (on the next render after it).
  const today = new Date().toISOString().slice(0, 10);
  const days = useMemo(() => lastDays(30, new Date(`${today}T00:00:00Z`)), [today]);
  const series = useMemo(() => {
    const rows = c?.dailyStats ?? [];
    return [
      { label: 'Invocations', values: fillDays(days, rows, (r) => r.invocations), color: '#5b4bd6' },
      { label: 'Failed', values: fillDays(days, rows, (r) => r.failedInvocations), color: '#c2410c' },
    ];
  }, [c, days]);

  if (!network) return <NotFound what={`the network “${params.network ?? ''}”`} />;
  const invalid = badInput(error);
  if (invalid) return <NotFound what={`this contract: ${invalid}`} />;
  if (error) return <ErrorState error={error} what="the contract" />;
  if (!data) return fetching ? <Loading what="the contract" /> : null;
  if (!c) return <NotFound what={`a contract ${contractId} on ${networkLabel(network)}`} />;

  return (
    <article className="contract">
      <h1>{c.name ?? 'Contract'}</h1>
      <p className="address-line">
        <code className="address" id="contract-address">
          {c.contractId}
        </code>{' '}
        <CopyButton text={c.contractId} label="Copy the contract address" />
      </p>
      {c.description && <p className="description">{c.description}</p>}
      <TagList tags={c.tags} />
      <dl className="facts">
        <dt>Network</dt>
        <dd>{networkLabel(c.network)}</dd>
        <dt>Kind</dt>
        <dd>{kindLabel(c.kind)}</dd>
        <dt>Deployer</dt>
        <dd>{c.deployer ? <code className="address">{c.deployer}</code> : 'unknown'}</dd>
        <dt>Created</dt>
        <dd>
          ledger {formatNumber(c.createdLedger)},{' '}
          <time dateTime={c.createdAt}>{formatDateTime(c.createdAt)}</time>
          {c.createdTx && (
            <>
              {' '}
              · tx <code className="hash">{shortId(c.createdTx, 10)}</code>
            </>
          )}
        </dd>
        <dt>WASM</dt>
        <dd>
          {c.wasmHash ? (
            <>
              <Hash hash={c.wasmHash} />
              {c.wasm?.sizeBytes != null && ` · ${formatBytes(c.wasm.sizeBytes)}`}
              {c.wasm?.sdkVersion && ` · soroban-sdk ${c.wasm.sdkVersion}`}
            </>
          ) : c.kind === 'STELLAR_ASSET' ? (
            'built in (Stellar Asset Contract)'
          ) : (
            'not yet known'
          )}
        </dd>
        <dt>Publisher</dt>
        <dd>
          {c.publisher ? (
            <Link to={publisherPath(c.publisher.address)}>
              {c.publisher.displayName ?? shortId(c.publisher.address)}
            </Link>
          ) : (
            'unclaimed'
          )}
        </dd>
        <dt>Verification</dt>
        <dd>{verificationLabel(c.verification)}</dd>
      </dl>

      <section aria-labelledby="interface-title">
        <h2 id="interface-title">Interface</h2>
        {c.abi ? (
          <AbiSection abi={c.abi} />
        ) : (
          <p className="state state-empty">
            {c.wasm?.specError
              ? `The WASM's interface could not be read: ${c.wasm.specError}`
              : 'The interface is not known yet: the registry has not fetched this contract’s WASM.'}
          </p>
        )}
      </section>

      <section aria-labelledby="usage-title">
        <h2 id="usage-title">Usage</h2>
        <DailyChart title="Invocations per day, last 30 days (UTC)" days={days} series={series} />
        {c.functionStats.length === 0 ? (
          <p className="state state-empty">No calls in the last 30 days.</p>
        ) : (
          <Table
            className="function-stats"
            caption="Calls per function, last 30 days"
            head={['Function', 'Calls', 'Failed']}
            rows={c.functionStats.map((f) => ({
              key: f.function,
              cells: [<code>{f.function}</code>, formatNumber(f.calls), formatNumber(f.failedCalls)],
            }))}
          />
        )}
      </section>

      <section aria-labelledby="history-title">
        <h2 id="history-title">Version history</h2>
        {c.versions.length === 0 ? (
          <p className="state state-empty">No recorded versions.</p>
        ) : (
          <Table
            className="versions"
            head={['Ledger', 'Time', 'Change', 'Transaction']}
            rows={c.versions.map((v) => ({
              key: v.ledger,
              cells: [
                formatNumber(v.ledger),
                <time dateTime={v.changedAt}>{formatDateTime(v.changedAt)}</time>,
                v.oldWasmHash ? (
                  <>
                    upgraded <Hash hash={v.oldWasmHash} /> →{' '}
                    {v.newWasmHash ? <Hash hash={v.newWasmHash} /> : 'built-in'}
                  </>
                ) : (
                  <>deployed {v.newWasmHash ? <Hash hash={v.newWasmHash} /> : 'built-in'}</>
                ),
                v.txHash ? <code className="hash">{shortId(v.txHash, 8)}</code> : '—',
              ],
            }))}
          />
        )}
      </section>
    </article>
  );
}
