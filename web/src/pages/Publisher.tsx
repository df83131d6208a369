// One publisher: who they are and the contracts they claim; signed in as the publisher, an
// editable profile (also before the publisher exists: saving it creates it).
import { useParams, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import { CopyButton } from '../components/CopyButton';
import { ProfileForm } from '../components/ProfileForm';
import { PagedContracts, pageFromParams } from '../components/PagedContracts';
import { ErrorState, Loading, badInput } from '../components/States';
import { graphql } from '../gql';
import { formatDateTime, safeHttpUrl } from '../lib/format';
import { useSession } from '../lib/session';
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
  const session = useSession();
  const mine = session?.address === address;
  const [{ data, error, fetching }, reexecute] = useQuery({
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
  const reread = () => reexecute({ requestPolicy: 'network-only' });
  if (!p && !mine) return <NotFound what={`a publisher ${address}`} />;
  const website = safeHttpUrl(p?.website);
  const github = p?.github && /^[A-Za-z0-9-]{1,39}$/.test(p.github) ? p.github : null;
  // One tree whether or not the profile exists yet: the form keeps its state (and its "saved")
  // when saving creates the publisher.
  return (
    <article>
      <h1>{p ? (p.displayName ?? 'Publisher') : 'Your publisher profile'}</h1>
      <p className="address-line">
        <code className="address">{address}</code>{' '}
        <CopyButton text={address} label="Copy the publisher address" />
      </p>
      {p ? (
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
      ) : (
        <p>
          Your account has no publisher profile yet. Claim a contract you deployed, or create the
          profile here: it is public, and shown with the contracts you claim.
        </p>
      )}
      {mine && (
        <section aria-labelledby="profile-title">
          <h2 id="profile-title">Your profile</h2>
          <ProfileForm profile={p ?? null} onSaved={reread} />
        </section>
      )}
      {p && (
        <section aria-labelledby="claimed-title">
          <h2 id="claimed-title">Contracts</h2>
          <PagedContracts conn={p.contracts} caption="Contracts this publisher claims" empty="This publisher claims no contract yet." />
        </section>
      )}
    </article>
  );
}
