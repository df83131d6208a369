// One publisher: who they are and the contracts they claim.
import { useParams, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { CopyButton } from '../components/CopyButton';
import { PagedContracts, pageFromParams } from '../components/PagedContracts';
import { ErrorState, Loading, badInput } from '../components/States';
import { graphql } from '../gql';
import { formatDateTime, safeHttpUrl } from '../lib/format';
import { NotFound } from './NotFound';

const PublisherQuery = graphql(`
  query PublisherPage($address: String!, $first: Int, $after: String, $last: Int, $before: String) {
    publisher(address: $address) {
      address
      displayName
      website
      github
      createdAt
      contracts(first: $first, after: $after, last: $last, before: $before) {
        ...ContractPage
      }
    }
  }
`);

export function Publisher() {
  const { address = '' } = useParams();
  const [params] = useSearchParams();
  const valid = /^G[A-Z2-7]{55}$/.test(address);
  const [{ data, error, fetching }] = useQuery({
    query: PublisherQuery,
    variables: { address, ...pageFromParams(params) },
    pause: !valid,
  });
  if (!valid) return <NotFound what={`a publisher “${address}” (expected a G… account)`} />;
  const invalid = badInput(error);
  if (invalid) return <NotFound what={`this publisher: ${invalid}`} />;
  if (error) return <ErrorState error={error} what="the publisher" />;
  if (!data) return fetching ? <Loading what="the publisher" /> : null;
  const p = data.publisher;
  if (!p) return <NotFound what={`a publisher ${address}`} />;
  const website = safeHttpUrl(p.website);
  const github = p.github && /^[A-Za-z0-9-]{1,39}$/.test(p.github) ? p.github : null;
  return (
    <article>
      <h1>{p.displayName ?? 'Publisher'}</h1>
      <p className="address-line">
        <code className="address">{p.address}</code>{' '}
        <CopyButton text={p.address} label="Copy the publisher address" />
      </p>
      <dl className="facts">
        <dt>Website</dt>
        <dd>
          {website ? (
            <a href={website} rel="noopener noreferrer nofollow ugc" target="_blank">
              {p.website}
            </a>
          ) : (
            (p.website ?? 'none')
          )}
        </dd>
        <dt>GitHub</dt>
        <dd>
          {github ? (
            <a href={`https://github.com/${github}`} rel="noopener noreferrer nofollow ugc" target="_blank">
              {github}
            </a>
          ) : (
            (p.github ?? 'none')
          )}
        </dd>
        <dt>Registered</dt>
        <dd>
          <time dateTime={p.createdAt}>{formatDateTime(p.createdAt)}</time>
        </dd>
      </dl>
      <section aria-labelledby="claimed-title">
        <h2 id="claimed-title">Contracts</h2>
        <PagedContracts conn={p.contracts} caption="Contracts this publisher claims" empty="This publisher claims no contract yet." />
      </section>
    </article>
  );
}
