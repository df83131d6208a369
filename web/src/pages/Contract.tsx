// One contract: identity, interface, history, tags and usage; its build verification (updated
// live as verdicts arrive) and its audit trail; and, for a signed-in account, claiming it and,
// once held, managing it.
import { useCallback, useEffect, useMemo } from 'react';
import { Link, useLocation, useParams } from 'react-router';
import { useQuery, useSubscription } from 'urql';
import { AbiSection, SpecErrorNote } from '../components/AbiView';
import { AuditTrail } from '../components/AuditTrail';
import { BuildInfoRows, SepLabels } from '../components/BuildInfo';
import { ContractOwner } from '../components/ContractOwner';
import { CopyButton } from '../components/CopyButton';
import { DailyChart } from '../components/DailyChart';
import { RequestVerification } from '../components/RequestVerification';
import { ErrorState, Loading, badInput } from '../components/States';
import { Table } from '../components/Table';
import { TagList } from '../components/TagList';
import { VerificationBadge, VerificationDetails } from '../components/Verification';
import { graphql } from '../gql';
import type { ContractPageQuery, ContractVerifiedSubscription } from '../gql/graphql';
import { onReconnect } from '../lib/client';
import {
  formatBytes,
  formatDateTime,
  formatNumber,
  kindLabel,
  shortId,
  versionKindLabel,
} from '../lib/format';
import { networkLabel, parseNetwork } from '../lib/network';
import { publisherPath, wasmPath } from '../lib/paths';
import { fillDays, lastDays } from '../lib/series';
import { useSession } from '../lib/session';
import { isNewerVerdict } from '../lib/verification';
import { changeSummary, subjectLabel } from '../lib/abiDiff';
import { NotFound } from './NotFound';

const ContractQuery = graphql(`
  query ContractPage($network: Network!, $contractId: String!) {
    contract(network: $network, contractId: $contractId) {
      id
      contractId
      network
      kind
      name
      asset {
        code
        issuer
        native
      }
      registeredName
      implementedSeps
      description
      deployer
      createdLedger
      createdAt
      createdTx
      wasmHash
      verification
      buildVerification {
        ...BuildVerificationFacts
      }
      auditTrail(first: 20) {
        ...AuditEntryFacts
      }
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
        specError
        buildInfo {
          ...BuildInfoFacts
        }
      }
      abi {
        ...AbiView
      }
      versions {
        kind
        ledger
        transactionIndex
        operationIndex
        changedAt
        txHash
        oldWasmHash
        newWasmHash
        abiChanges {
          breaking
          changes {
            subject
            name
            kind
            severity
            details
          }
        }
      }
      dailyStats(days: 30) {
        day
        invocations
        failedInvocations
        subInvocations
      }
      functionStats(days: 30) {
        function
        calls
        failedCalls
        subCalls
      }
    }
  }
`);

const VerifiedSubscription = graphql(`
  subscription ContractVerified($network: Network!, $contractId: String!) {
    contractVerified(network: $network, contractId: $contractId) {
      cursor
      contract {
        id
        verification
        buildVerification {
          ...BuildVerificationFacts
        }
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

type LiveVerdict = ContractVerifiedSubscription['contractVerified']['contract'];

type Version = NonNullable<ContractPageQuery['contract']>['versions'][number];

/** What a version row records: the deployment, an upgrade, or the code seen at a ledger. */
function VersionChange({ version: v }: { version: Version }) {
  const code = (hash: string | null | undefined) => (hash ? <Hash hash={hash} /> : 'built-in');
  const kind = <span className={`version-kind version-${v.kind.toLowerCase()}`}>{versionKindLabel(v.kind)}</span>;
  switch (v.kind) {
    case 'DEPLOYED':
      return (
        <>
          {kind} {code(v.newWasmHash)}
        </>
      );
    case 'UPGRADED':
      return (
        <>
          {kind} {code(v.oldWasmHash)} → {code(v.newWasmHash)}
          {v.abiChanges && <AbiChanges diff={v.abiChanges} />}
        </>
      );
    case 'OBSERVED':
      return (
        <>
          {kind} at ledger {formatNumber(v.ledger)}: running {code(v.newWasmHash)}
        </>
      );
  }
}

/** What an upgrade changed in the interface: a summary, and each change on demand, the
 * breaking ones marked. */
function AbiChanges({ diff }: { diff: NonNullable<Version['abiChanges']> }) {
  if (diff.changes.length === 0) return <p className="abi-changes muted">{changeSummary(diff.changes)}</p>;
  return (
    <details className={`abi-changes${diff.breaking ? ' abi-breaking' : ''}`}>
      <summary>
        {diff.breaking && <span className="change-breaking-mark">Breaking</span>} {changeSummary(diff.changes)}
      </summary>
      <ul>
        {diff.changes.map((c) => (
          <li
            key={`${c.subject}:${c.name}`}
            className={c.severity === 'BREAKING' ? 'change-breaking' : 'change-compatible'}
          >
            <span className="change-severity">{c.severity === 'BREAKING' ? 'breaking' : 'compatible'}</span>{' '}
            {subjectLabel(c.subject)} <code>{c.name}</code> {c.kind.toLowerCase()}: {c.details.join('; ')}
          </li>
        ))}
      </ul>
    </details>
  );
}

export function Contract() {
  const params = useParams();
  const network = parseNetwork(params.network);
  const contractId = params.contractId ?? '';
  const [{ data, error, fetching }, reexecute] = useQuery({
    query: ContractQuery,
    variables: { network: network ?? 'MAINNET', contractId },
    pause: !network,
  });
  const c = data?.contract;
  const session = useSession();
  // After a change the viewer made, or a dropped connection (verdicts may have been missed).
  const reread = useCallback(() => reexecute({ requestPolicy: 'network-only' }), [reexecute]);
  useEffect(() => onReconnect(reread), [reread]);
  // Verdicts as the verifier gives them: shown when newer than what the page read.
  const [live] = useSubscription(
    { query: VerifiedSubscription, variables: { network: network ?? 'MAINNET', contractId }, pause: !network },
    (_prev: LiveVerdict | undefined, event: ContractVerifiedSubscription) => event.contractVerified.contract ?? null,
  );
  const verdict =
    live.data && live.data.id === c?.id && isNewerVerdict(live.data.buildVerification, c.buildVerification)
      ? live.data
      : c;
  useScrollToHash(Boolean(c));
  // Ledgers with several changes: their rows say which transaction and operation made each.
  const sharedLedgers = useMemo(() => {
    const seen = new Set<number>();
    const shared = new Set<number>();
    for (const v of c?.versions ?? []) (seen.has(v.ledger) ? shared : seen).add(v.ledger);
    return shared;
  }, [c]);
  // The window moves at midnight UTC (on the next render after it).
  const today = new Date().toISOString().slice(0, 10);
  const days = useMemo(() => lastDays(30, new Date(`${today}T00:00:00Z`)), [today]);
  const series = useMemo(() => {
    const rows = c?.dailyStats ?? [];
    return [
      { label: 'Invocations', values: fillDays(days, rows, (r) => r.invocations), color: '#5b4bd6' },
      { label: 'Failed', values: fillDays(days, rows, (r) => r.failedInvocations), color: '#c2410c' },
      // Not part of the invocations (calls by transactions): drawn as a line over their bars.
      { label: 'From contracts', values: fillDays(days, rows, (r) => r.subInvocations), color: '#0f766e', line: true },
    ];
  }, [c, days]);

  if (!network) return <NotFound what={`the network “${params.network ?? ''}”`} />;
  const invalid = badInput(error);
  if (invalid) return <NotFound what={`this contract: ${invalid}`} />;
  if (error) return <ErrorState error={error} what="the contract" />;
  if (!data) return fetching ? <Loading what="the contract" /> : null;
  if (!c) return <NotFound what={`a contract ${contractId} on ${networkLabel(network)}`} />;
  const verification = verdict?.verification ?? c.verification;
  const buildVerification = verdict?.buildVerification ?? c.buildVerification;

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
        {c.asset && (
          <div className="fact-pair">
            <dt>Asset</dt>
            <dd className="asset" id="contract-asset">
              {c.asset.native ? (
                'native (XLM)'
              ) : (
                <>
                  <code className="asset-code">{c.asset.code}</code> issued by{' '}
                  <code className="address asset-issuer">{c.asset.issuer}</code>{' '}
                  {c.asset.issuer && <CopyButton text={c.asset.issuer} label="Copy the issuer address" />}
                  <span className="muted asset-note">
                    {' '}
                    Anyone can deploy the contract of any asset: the issuer tells the real {c.asset.code} from a
                    look-alike.
                  </span>
                </>
              )}
            </dd>
          </div>
        )}
        {c.registeredName && (
          <div className="fact-pair">
            <dt>Registry name</dt>
            <dd>
              <code className="registered-name">{c.registeredName}</code>
            </dd>
          </div>
        )}
        {c.implementedSeps.length > 0 && (
          <div className="fact-pair">
            <dt>Implements</dt>
            <dd>
              <SepLabels seps={c.implementedSeps} />
            </dd>
          </div>
        )}
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
            </>
          ) : c.kind === 'STELLAR_ASSET' ? (
            'built in (Stellar Asset Contract)'
          ) : (
            'not yet known'
          )}
        </dd>
        {c.wasm && <BuildInfoRows info={c.wasm.buildInfo} />}
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
        <dd id="contract-verification">
          <VerificationBadge status={verification} />
        </dd>
      </dl>

      {buildVerification && (
        <section aria-labelledby="verification-title" id="build-verification">
          <h2 id="verification-title">
            Build verification <VerificationBadge status={verification} />
          </h2>
          <VerificationDetails v={buildVerification} status={verification} />
          {c.wasmHash && session && c.publisher?.address === session.address && (
            // The verifier checks an attestation against the repository the WASM's meta names.
            c.wasm?.buildInfo.sourceRepo ? (
              <>
                <p className="muted">
                  Published a build attestation of this WASM (GitHub’s attest-build-provenance)?
                  Ask the verifier to check it again.
                </p>
                <RequestVerification wasmHash={c.wasmHash} onDone={reread} />
              </>
            ) : (
              <p className="muted">
                Its WASM’s meta names no source repository (SEP-55 <code>source_repo</code>), so
                there is no build attestation to check: build it with the repository in its meta
                to have it verified.
              </p>
            )
          )}
        </section>
      )}

      <ContractOwner
        network={c.network}
        contractId={c.contractId}
        holder={c.publisher?.address ?? null}
        deployer={c.deployer ?? null}
        tags={c.tags}
        onChange={reread}
      />

      <section aria-labelledby="interface-title">
        <h2 id="interface-title">Interface</h2>
        {c.abi ? (
          <>
            {c.wasm?.specError && <SpecErrorNote error={c.wasm.specError} />}
            <AbiSection abi={c.abi} />
          </>
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
            head={['Function', 'Calls', 'Failed', 'From contracts']}
            rows={c.functionStats.map((f) => ({
              key: f.function,
              cells: [
                <code>{f.function}</code>,
                formatNumber(f.calls),
                formatNumber(f.failedCalls),
                formatNumber(f.subCalls),
              ],
            }))}
          />
        )}
      </section>

      <section aria-labelledby="history-title">
        <h2 id="history-title">Version history</h2>
        {c.versions.length === 0 ? (
          <p className="state state-empty">No recorded versions.</p>
        ) : (
          <>
            <Table
              className="versions"
              head={['Ledger', 'Time', 'Change', 'Transaction']}
              rows={c.versions.map((v) => ({
                key: `${v.ledger}:${v.transactionIndex}:${v.operationIndex}`,
                cells: [
                  formatNumber(v.ledger),
                  <time dateTime={v.changedAt}>{formatDateTime(v.changedAt)}</time>,
                  <VersionChange version={v} />,
                  v.txHash ? (
                    <>
                      <code className="hash">{shortId(v.txHash, 8)}</code>
                      {sharedLedgers.has(v.ledger) && (
                        <span className="muted">
                          {' '}
                          (transaction {v.transactionIndex}, operation {v.operationIndex})
                        </span>
                      )}
                    </>
                  ) : (
                    '—'
                  ),
                ],
              }))}
            />
            {c.versions.some((v) => v.kind === 'OBSERVED') && (
              <p className="muted versions-note">
                Observed: the contract was deployed before the registry’s indexed history; the row
                is the code it ran when first seen, not a deployment.
              </p>
            )}
          </>
        )}
      </section>

      <section aria-labelledby="audit-title">
        <h2 id="audit-title">Audit trail</h2>
        <AuditTrail entries={c.auditTrail} />
      </section>
    </article>
  );
}
