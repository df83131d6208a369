// Contracts: filters, ordering and cursor paging, all in the URL.
import { useId } from 'react';
import { useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { ContractTable } from '../components/ContractTable';
import { Pager } from '../components/Pager';
import { Empty, ErrorState, Loading } from '../components/States';
import { graphql } from '../gql';
import type { ContractKind, Network, VerificationStatus } from '../gql/graphql';
import {
  KINDS,
  ORDERS,
  VERIFICATIONS,
  type ListState,
  listStateToParams,
  pageArgs,
  parseListState,
  toFilter,
  withFilters,
} from '../lib/filters';
import { formatNumber, kindLabel, verificationLabel } from '../lib/format';
import { NETWORKS, networkLabel } from '../lib/network';

const ContractsQuery = graphql(`
  query Contracts(
    $first: Int
    $after: String
    $last: Int
    $before: String
    $filter: ContractFilter
    $orderBy: ContractOrder
  ) {
    contracts(first: $first, after: $after, last: $last, before: $before, filter: $filter, orderBy: $orderBy) {
      ...ContractPage
    }
  }
`);

const TagsQuery = graphql(`
  query TagNames($network: Network) {
    tags(network: $network) {
      name
      contractCount
    }
  }
`);

function Filters({ state, set }: { state: ListState; set: (s: ListState) => void }) {
  const id = useId();
  const [tags] = useQuery({ query: TagsQuery, variables: { network: state.network } });
  const change = (c: Partial<ListState>) => set(withFilters(state, c));
  return (
    <form
      className="filters"
      aria-label="Filters"
      onSubmit={(e) => {
        e.preventDefault();
        const form = new FormData(e.currentTarget);
        change({ fn: String(form.get('fn') ?? '').trim() });
      }}
    >
      <label>
        Network
        <select
          name="network"
          value={state.network ?? ''}
          onChange={(e) => change({ network: (e.target.value || null) as Network | null })}
        >
          <option value="">All networks</option>
          {NETWORKS.map((n) => (
            <option key={n} value={n}>
              {networkLabel(n)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Tag
        <select name="tag" value={state.tag} onChange={(e) => change({ tag: e.target.value })}>
          <option value="">Any tag</option>
          {state.tag && !tags.data?.tags.some((t) => t.name === state.tag) && (
            <option value={state.tag}>{state.tag}</option>
          )}
          {tags.data?.tags.map((t) => (
            <option key={t.name} value={t.name}>
              {t.name} ({formatNumber(t.contractCount)})
            </option>
          ))}
        </select>
      </label>
      <label>
        Kind
        <select
          name="kind"
          value={state.kind ?? ''}
          onChange={(e) => change({ kind: (e.target.value || null) as ContractKind | null })}
        >
          <option value="">Any kind</option>
          {KINDS.map((k) => (
            <option key={k} value={k}>
              {kindLabel(k)}
            </option>
          ))}
        </select>
      </label>
      <label>
        Verification
        <select
          name="verification"
          value={state.verification ?? ''}
          onChange={(e) =>
            change({ verification: (e.target.value || null) as VerificationStatus | null })
          }
        >
          <option value="">Any status</option>
          {VERIFICATIONS.map((v) => (
            <option key={v} value={v}>
              {verificationLabel(v)}
            </option>
          ))}
        </select>
      </label>
      <div className="field">
        <label htmlFor={`${id}-fn`}>Implements function</label>
        <span className="inline-field">
          <input
            id={`${id}-fn`}
            name="fn"
            key={state.fn}
            defaultValue={state.fn}
            placeholder="e.g. transfer"
            maxLength={64}
            spellCheck={false}
          />
          <button type="submit">Apply</button>
        </span>
      </div>
      <label>
        Order
        <select
          name="order"
          value={state.order}
          onChange={(e) => change({ order: e.target.value as ListState['order'] })}
        >
          {ORDERS.filter((o) => o.value !== 'RELEVANCE' || state.q).map((o) => (
            <option key={o.value} value={o.value}>
              {o.label}
            </option>
          ))}
        </select>
      </label>
    </form>
  );
}

export function Contracts() {
  const [params, setParams] = useSearchParams();
  const state = parseListState(params);
  const set = (next: ListState) => setParams(listStateToParams(next));
  const [{ data, error, fetching }] = useQuery({
    query: ContractsQuery,
    variables: { ...pageArgs(state), filter: toFilter(state), orderBy: state.order },
  });
  const conn = data?.contracts;
  const heading = state.q ? `Contracts matching “${state.q}”` : 'Contracts';
  return (
    <>
      <h1>{heading}</h1>
      <Filters state={state} set={set} />
      {error ? (
        <ErrorState error={error} what="contracts" />
      ) : !conn ? (
        fetching ? <Loading what="contracts" /> : null
      ) : (
        <>
          <p className="count" role="status">
            {formatNumber(conn.totalCount)} {conn.totalCount === 1 ? 'contract' : 'contracts'}
            {fetching && ' · updating…'}
          </p>
          {conn.nodes.length === 0 ? (
            <Empty>No contract matches these filters.</Empty>
          ) : (
            <ContractTable contracts={conn.nodes} caption={heading} />
          )}
          <Pager
            pageInfo={conn.pageInfo}
            href={(page) =>
              `/contracts?${listStateToParams({ ...state, after: page.after ?? null, before: page.before ?? null })}`
            }
          />
        </>
      )}
    </>
  );
}
