// A page of contracts from a connection, with previous/next links that keep the page's URL.
import { useLocation } from 'react-router';
import { graphql } from '../gql';
import type { ContractPageFragment } from '../gql/graphql';
import { formatNumber } from '../lib/format';
import { ContractTable } from './ContractTable';
import { Pager } from './Pager';
import { Empty } from './States';

/** One page of a contract list, as every list in the explorer asks for it. */
export const ContractPage = graphql(`
  fragment ContractPage on ContractConnection {
    totalCount
    pageInfo {
      hasNextPage
      hasPreviousPage
      startCursor
      endCursor
    }
    nodes {
      ...ContractRow
    }
  }
`);

/** `first`/`after` or `last`/`before` from the URL's `after`/`before`. */
export function pageFromParams(params: URLSearchParams, size = 20) {
  const after = params.get('after');
  const before = params.get('before');
  return after ? { first: size, after } : before ? { last: size, before } : { first: size };
}

export function PagedContracts({ conn, caption, empty }: { conn: ContractPageFragment; caption: string; empty: string }) {
  const location = useLocation();
  const href = (page: { after?: string; before?: string }) => {
    const params = new URLSearchParams(location.search);
    params.delete('after');
    params.delete('before');
    if (page.after) params.set('after', page.after);
    if (page.before) params.set('before', page.before);
    return `${location.pathname}?${params}`;
  };
  return (
    <>
      <p className="count">
        {formatNumber(conn.totalCount)} {conn.totalCount === 1 ? 'contract' : 'contracts'}
      </p>
      {conn.nodes.length === 0 ? <Empty>{empty}</Empty> : <ContractTable contracts={conn.nodes} caption={caption} />}
      <Pager pageInfo={conn.pageInfo} href={href} />
    </>
  );
}
