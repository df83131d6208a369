// The header's sign-in control: "Sign in with a Stellar wallet" (lib/signer.ts finds the wallet
// and signs the server's SEP-10 challenge), then the account, linked to its publisher page,
// and "Sign out". Why a sign-in failed is said in words beside the button.
import { useState } from 'react';
import { Link } from 'react-router';
import { useQuery } from 'urql';
import { graphql } from '../gql';
import { shortId } from '../lib/format';
import { publisherPath } from '../lib/paths';
import { setSession, useSession } from '../lib/session';
import { SignInError, findSigner, signIn } from '../lib/signer';

export const ViewerQuery = graphql(`
  query Viewer {
    viewer {
      address
      publisher {
        address
        displayName
      }
    }
  }
`);

export function Account() {
  const session = useSession();
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  // Who the token names, as the server reads it (a refused token signs out: lib/client.ts).
  const [{ data }] = useQuery({ query: ViewerQuery, pause: !session, requestPolicy: 'network-only' });
  const viewer = data?.viewer && data.viewer.address === session?.address ? data.viewer : null;

  const start = async () => {
    setBusy(true);
    setError(null);
    try {
      setSession(await signIn(await findSigner()));
    } catch (e) {
      setError(e instanceof SignInError ? e.message : `Sign-in failed: ${e instanceof Error ? e.message : String(e)}`);
    } finally {
      setBusy(false);
    }
  };

  if (session) {
    return (
      <div className="account">
        <Link to={publisherPath(session.address)} className="account-link" title={session.address}>
          <span className="visually-hidden">Signed in as </span>
          {viewer?.publisher?.displayName ?? <code>{shortId(session.address, 4)}</code>}
        </Link>
        <button type="button" onClick={() => setSession(null)}>
          Sign out
        </button>
      </div>
    );
  }
  return (
    <div className="account">
      <button type="button" className="sign-in" onClick={start} disabled={busy}>
        {busy ? 'Signing in…' : 'Sign in with a Stellar wallet'}
      </button>
      {error && (
        <p className="sign-in-error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
