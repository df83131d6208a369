// One tag: the contracts carrying it, on one network or all.
import { Link, useParams, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { PagedContracts, pageFromParams } from '../components/PagedContracts';
import { ErrorState, Loading } from '../components/States';
import { graphql } from '../gql';
import { formatNumber } from '../lib/format';
import { networkLabel, networkSlug, parseNetwork } from '../lib/network';
import { NotFound } from './NotFound';

const TagQuery = graphql(`
  query TagPage($name: String!, $network: Network, $first: Int, $after: String, $last: Int, $before: String) {
    tag(name: $name, network: $network) {
      name
      contractCount
      contracts(first: $first, after: $after, last: $last, before: $before, filter: { network: $network }) {
        ...ContractPage
      }
    }
  }
`);

export function Tag() {
  const { name = '' } = useParams();
  const [params] = useSearchParams();
  const network = parseNetwork(params.get('network'));
  const [{ data, error, fetching }] = useQuery({
    query: TagQuery,
    variables: { name, network, ...pageFromParams(params) },
  });
  if (error) return <ErrorState error={error} what="the tag" />;
  if (!data) return fetching ? <Loading what="the tag" /> : null;
  const t = data.tag;
  if (!t) return <NotFound what={`a tag “${name}”`} />;
  return (
    <article>
      <h1>
        Tag <span className="tag tag-title">{t.name}</span>
      </h1>
      <p>
        {formatNumber(t.contractCount)} {t.contractCount === 1 ? 'contract' : 'contracts'}{' '}
        {network ? `on ${networkLabel(network)}` : 'on every network'} ·{' '}
        {network ? (
          <Link to={`/tags/${encodeURIComponent(t.name)}`}>show every network</Link>
        ) : (
          <Link to={`/contracts?tag=${encodeURIComponent(t.name)}`}>filter the contract list</Link>
        )}
        {network && (
          <>
            {' · '}
            <Link to={`/contracts?tag=${encodeURIComponent(t.name)}&network=${networkSlug(network)}`}>
              filter the contract list
            </Link>
          </>
        )}
      </p>
      <PagedContracts conn={t.contracts} caption={`Contracts tagged ${t.name}`} empty="No contract carries this tag." />
    </article>
  );
}
