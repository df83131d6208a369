// One WASM code: what it is, whether its build is verified, its interface, and the contracts
// running it.
import { useParams, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { AbiSection, SpecErrorNote } from '../components/AbiView';
import { BuildInfoRows, SepLabels } from '../components/BuildInfo';
import { CopyButton } from '../components/CopyButton';
import { PagedContracts, pageFromParams } from '../components/PagedContracts';
import { ErrorState, Loading, badInput } from '../components/States';
import { Table } from '../components/Table';
import { VerificationBadge, VerificationDetails } from '../components/Verification';
import { graphql } from '../gql';
import { formatBytes, formatDateTime, formatNumber } from '../lib/format';
import { networkLabel } from '../lib/network';
import { NotFound } from './NotFound';

const WasmQuery = graphql(`
  query WasmPage($hash: String!, $first: Int, $after: String, $last: Int, $before: String) {
    wasm(hash: $hash) {
      hash
      sizeBytes
      firstSeenNetwork
      firstSeenLedger
      firstSeenAt
      specError
      interfaceVersion {
        protocol
        preRelease
      }
      metaError
      implementedSeps
      buildInfo {
        ...BuildInfoFacts
      }
      verification {
        ...BuildVerificationFacts
      }
      registryReleases {
        network
        name
        version
        author
        ledger
      }
      meta {
        key
        value
      }
      abi {
        ...AbiView
      }
      contracts(first: $first, after: $after, last: $last, before: $before) {
        ...ContractPage
      }
    }
  }
`);

export function Wasm() {
  const { hash = '' } = useParams();
  const [params] = useSearchParams();
  const valid = /^[0-9a-fA-F]{64}$/.test(hash);
  const [{ data, error, fetching }] = useQuery({
    query: WasmQuery,
    variables: { hash: hash.toLowerCase(), ...pageFromParams(params) },
    pause: !valid,
  });
  if (!valid) return <NotFound what={`a WASM “${hash}” (expected 64 hex characters)`} />;
  const invalid = badInput(error);
  if (invalid) return <NotFound what={`this WASM: ${invalid}`} />;
  if (error) return <ErrorState error={error} what="the WASM" />;
  if (!data) return fetching ? <Loading what="the WASM" /> : null;
  const w = data.wasm;
  if (!w) return <NotFound what={`a WASM with hash ${hash}`} />;
  const status = w.verification.status;
  return (
    <article>
      <h1>WASM</h1>
      <p className="address-line">
        <code className="hash">{w.hash}</code> <CopyButton text={w.hash} label="Copy the WASM hash" />
      </p>
      <dl className="facts">
        <dt>Size</dt>
        <dd>{w.sizeBytes != null ? formatBytes(w.sizeBytes) : 'unknown'}</dd>
        <dt>First seen</dt>
        <dd>
          {networkLabel(w.firstSeenNetwork)}, ledger {formatNumber(w.firstSeenLedger)},{' '}
          <time dateTime={w.firstSeenAt}>{formatDateTime(w.firstSeenAt)}</time>
        </dd>
        <dt>Built for</dt>
        <dd>
          {w.interfaceVersion
            ? `protocol ${w.interfaceVersion.protocol}${w.interfaceVersion.preRelease ? ` (pre-release ${w.interfaceVersion.preRelease})` : ''}`
            : 'unknown'}
        </dd>
        <BuildInfoRows info={w.buildInfo} />
        <dt>Verification</dt>
        <dd id="wasm-verification">
          <VerificationBadge status={status} />
        </dd>
        {w.implementedSeps.length > 0 && (
          <div className="fact-pair">
            <dt>Implements</dt>
            <dd>
              <SepLabels seps={w.implementedSeps} />
            </dd>
          </div>
        )}
        {w.meta.map((m, i) => (
          <div key={`${i}:${m.key}`} className="fact-pair">
            <dt>{m.key}</dt>
            <dd>{m.value}</dd>
          </div>
        ))}
      </dl>
      {w.metaError && (
        <p className="note meta-error">
          Some of its meta could not be read ({w.metaError}); the entries before it are shown.
        </p>
      )}
      <section aria-labelledby="verification-title" id="build-verification">
        <h2 id="verification-title">
          Build verification <VerificationBadge status={status} />
        </h2>
        <VerificationDetails v={w.verification} status={status} />
      </section>
      <section aria-labelledby="interface-title">
        <h2 id="interface-title">Interface</h2>
        {w.abi ? (
          <>
            {w.specError && <SpecErrorNote error={w.specError} />}
            <AbiSection abi={w.abi} />
          </>
        ) : (
          <p className="state state-empty">
            {w.specError ? `The interface could not be read: ${w.specError}` : 'No interface recorded.'}
          </p>
        )}
      </section>
      {w.registryReleases.length > 0 && (
        <section aria-labelledby="releases-title">
          <h2 id="releases-title">Stellar Registry releases</h2>
          <Table
            className="releases"
            caption="Names and versions this WASM is published under"
            head={['Network', 'Name', 'Version', 'Author', 'Ledger']}
            rows={w.registryReleases.map((r) => ({
              key: `${r.network}:${r.name}:${r.version}`,
              cells: [
                networkLabel(r.network),
                <code>{r.name}</code>,
                <code>{r.version}</code>,
                r.author ? <code className="address">{r.author}</code> : 'unknown',
                formatNumber(r.ledger),
              ],
            }))}
          />
        </section>
      )}
      <section aria-labelledby="running-title">
        <h2 id="running-title">Contracts running it</h2>
        <PagedContracts conn={w.contracts} caption="Contracts running this WASM" empty="No contract runs this WASM now." />
      </section>
    </article>
  );
}
