import { Link } from 'react-router';
import { graphql } from '../gql';
import type { ContractRowFragment } from '../gql/graphql';
import { formatDateTime, kindLabel, shortId } from '../lib/format';
import { networkLabel } from '../lib/network';
import { contractPath } from '../lib/paths';
import { TagList } from './TagList';

export const ContractRow = graphql(`
  fragment ContractRow on Contract {
    id
    contractId
    network
    kind
    name
    createdAt
    createdLedger
    verification
    tags {
      name
    }
  }
`);

/** A list of contracts: name (or address), network, kind, tags, deployment time. */
export function ContractTable({
  contracts,
  caption,
}: {
  contracts: readonly ContractRowFragment[];
  caption: string;
}) {
  return (
    <div className="table-scroll">
      <table className="contracts">
        <caption className="visually-hidden">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Contract</th>
            <th scope="col">Network</th>
            <th scope="col">Kind</th>
            <th scope="col">Tags</th>
            <th scope="col">Deployed</th>
          </tr>
        </thead>
        <tbody>
          {contracts.map((c) => (
            <tr key={c.id}>
              <td>
                <Link to={contractPath(c.network, c.contractId)} className="contract-link">
                  {c.name ? (
                    <>
                      <span className="name">{c.name}</span>{' '}
                      <code className="address">{shortId(c.contractId)}</code>
                    </>
                  ) : (
                    <code className="address">{shortId(c.contractId, 10)}</code>
                  )}
                </Link>
              </td>
              <td>{networkLabel(c.network)}</td>
              <td className="kind">{kindLabel(c.kind)}</td>
              <td>
                <TagList tags={c.tags} />
              </td>
              <td>
                <time dateTime={c.createdAt}>{formatDateTime(c.createdAt)}</time>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
