// One WASM code: what it is, its interface, and the contracts running it.
import { useParams, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { AbiSection } from '../components/AbiView';
import { CopyButton } from '../components/CopyButton';
import { PagedContracts, pageFromParams } from '../components/PagedContracts';
import { ErrorState, Loading, badInput } from '../components/States';
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
      sdkVersion
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
          {w.sdkVersion && ` · soroban-sdk ${w.sdkVersion}`}
        </dd>
        {w.meta.map((m) => (
          <div key={m.key} className="fact-pair">
            <dt>{m.key}</dt>
            <dd>{m.value}</dd>
          </div>
        ))}
      </dl>
      <section aria-labelledby="interface-title">
        <h2 id="interface-title">Interface</h2>
        {w.abi ? (
          <AbiSection abi={w.abi} />
        ) : (
          <p className="state state-empty">
            {w.specError ? `The interface could not be read: ${w.specError}` : 'No interface recorded.'}
          </p>
        )}
      </section>
      <section aria-labelledby="running-title">
        <h2 id="running-title">Contracts running it</h2>
        <PagedContracts conn={w.contracts} caption="Contracts running this WASM" empty="No contract runs this WASM now." />
      </section>
    </article>
  );
}
