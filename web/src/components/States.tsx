// Loading, error and empty states, the same everywhere.
import type { CombinedError } from 'urql';
import { foreignApi } from '../lib/api';

export function Loading({ what }: { what: string }) {
  return (
    <p className="state state-loading" role="status" aria-live="polite">
      Loading {what}…
    </p>
  );
}

/** What went wrong, in the API's words (its messages say why a change was refused). */
export function errorText(error: CombinedError | Error): string {
  return 'graphQLErrors' in error && error.graphQLErrors.length > 0
    ? error.graphQLErrors.map((e) => e.message).join('; ')
    : 'networkError' in error && error.networkError
      ? `the registry could not be reached (${error.networkError.message})${elsewhere()}`
      : error.message;
}

/** With the API on another origin, a browser hides why a request failed: a server down and one
 * that does not accept this site's pages look the same. Say both. */
function elsewhere(): string {
  const api = foreignApi();
  return api
    ? ` at ${api}. If it is up, it does not accept requests from pages of ${window.location.origin}: its CORS_ALLOWED_ORIGINS must list that origin.`
    : '';
}

/** The page instead of the app when the API's URL is misconfigured (lib/api.ts). */
export function Misconfigured({ message }: { message: string }) {
  return (
    <main id="main" className="state state-error" role="alert">
      <h1>The explorer is misconfigured</h1>
      <p>{message}</p>
      <p>
        Whoever deployed it can fix the API's URL in <code>config.js</code>, beside this page, or rebuild it with a
        valid <code>VITE_API_URL</code>.
      </p>
    </main>
  );
}

export function ErrorState({ error, what }: { error: CombinedError | Error; what: string }) {
  const message = errorText(error);
  return (
    <div className="state state-error" role="alert">
      <p>
        Could not load {what}: {message}
      </p>
      <p>
        <button type="button" onClick={() => window.location.reload()}>
          Try again
        </button>
      </p>
    </div>
  );
}

export function Empty({ children }: { children: React.ReactNode }) {
  return <p className="state state-empty">{children}</p>;
}

/** The API's explanation when it refused an argument (a malformed address or hash), else null. */
export function badInput(error: CombinedError | undefined): string | null {
  const e = error?.graphQLErrors.find((g) => g.extensions?.code === 'BAD_USER_INPUT');
  return e ? e.message : null;
}
