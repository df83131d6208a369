// The GraphQL client: queries over HTTP POST, subscriptions over one WebSocket
// (graphql-transport-ws), both to /graphql on this origin or at the API's configured URL
// (lib/api.ts). Every operation is sent by the sha256 the build embedded in it (its id in
// persisted-documents.json), never as text, so a server that runs only trusted documents
// (GRAPHQL_DOCUMENTS=persisted) serves the explorer.
// When someone is signed in (lib/session.ts), every request carries the token: as
// `Authorization: Bearer` over HTTP, in `connection_init`'s payload over the WebSocket.
import {
  Client,
  cacheExchange,
  fetchExchange,
  makeOperation,
  mapExchange,
  subscriptionExchange,
} from 'urql';
import { createClient as createWsClient } from 'graphql-ws';
import { type Endpoints, endpoints } from './api';
import { authorization, setSession, subscribeSession } from './session';

type Listener = () => void;
const reconnectListeners = new Set<Listener>();

/** Calls `listener` each time the WebSocket comes back after a drop (to resume from a cursor). */
export function onReconnect(listener: Listener): () => void {
  reconnectListeners.add(listener);
  return () => reconnectListeners.delete(listener);
}

/** The subscription socket: `idle` until something subscribes, then `connected` or `reconnecting`. */
export type LiveState = 'idle' | 'connected' | 'reconnecting';
let liveState: LiveState = 'idle';
const stateListeners = new Set<Listener>();

function setLiveState(next: LiveState) {
  if (next === liveState) return;
  liveState = next;
  stateListeners.forEach((l) => l());
}

/** For `useSyncExternalStore`: subscribe to the socket's state… */
export function subscribeLiveState(listener: Listener): () => void {
  stateListeners.add(listener);
  return () => stateListeners.delete(listener);
}

/** …and read it. */
export function getLiveState(): LiveState {
  return liveState;
}

/** Names each operation by its embedded sha256 (automatic persisted queries' extension). */
const byId = mapExchange({
  onOperation(op) {
    const hash = (op.query as { __meta__?: { hash?: string } }).__meta__?.hash;
    if (!hash || op.kind === 'teardown') return op;
    return makeOperation(op.kind, {
      ...op,
      extensions: { ...op.extensions, persistedQuery: { version: 1, sha256Hash: hash } },
    });
  },
});

/** A token the server no longer accepts (expired, or signed by a restarted server's made-up
 * secret) ends the session: the request's answer says UNAUTHENTICATED (HTTP 401). */
const signOutWhenRefused = mapExchange({
  onOperation(op) {
    // The token the request goes out with (fetchOptions reads the same session).
    return makeOperation(op.kind, op, { ...op.context, sentAuthorization: authorization() });
  },
  onResult(result) {
    const refused =
      result.error?.graphQLErrors.some((e) => e.extensions?.code === 'UNAUTHENTICATED') ||
      (result.error?.response as { status?: number } | undefined)?.status === 401;
    const sent = result.operation.context.sentAuthorization;
    // Only the token that was refused: a sign-in meanwhile stays.
    if (refused && sent && sent === authorization()) setSession(null);
  },
});

/** The waits between reconnection attempts: about 1 s, 2 s, 4 s… (graphql-ws's own backoff). */
async function backoff(retries: number) {
  const wait = 1000 * 2 ** Math.min(retries, 5) + 300 + Math.random() * 2700;
  await new Promise((r) => setTimeout(r, wait));
}

export function makeClient(api: Endpoints = endpoints()): Client {
  const wsUrl = api.graphqlWs;
  // Set when the socket is closed because the session changed: it reconnects at once.
  let signedInOrOut = false;
  const ws = createWsClient({
    url: wsUrl,
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    retryWait: async (retries) => {
      if (signedInOrOut) {
        signedInOrOut = false;
        return;
      }
      await backoff(retries);
    },
    // Read at every (re)connection, so the socket follows sign-in and sign-out.
    connectionParams: () => {
      const auth = authorization();
      return auth ? { authorization: auth } : {};
    },
    on: {
      connected: (_socket, _payload, wasRetry) => {
        setLiveState('connected');
        if (wasRetry) reconnectListeners.forEach((l) => l());
      },
      // A normal close (1000) is the client's own, once nothing is subscribed; any other is a
      // drop, and a retry follows. 4403: the server refused the token, so sign out (the retry
      // then connects anonymously).
      closed: (event) => {
        const code = (event as { code?: number } | undefined)?.code;
        if (code === 4403 && authorization()) setSession(null);
        setLiveState(code === 1000 ? 'idle' : 'reconnecting');
      },
    },
  });
  // Subscriptions continue under the new identity: close the socket (when one is open); the
  // client reconnects with the new token and subscribes again.
  subscribeSession(() => {
    if (liveState !== 'idle') signedInOrOut = true;
    ws.terminate();
  });
  return new Client({
    url: api.graphql,
    // A page seen before shows at once from the cache and is then read again: the registry
    // changes every few seconds.
    requestPolicy: 'cache-and-network',
    fetchOptions: () => {
      const auth = authorization();
      return auth ? { headers: { authorization: auth } } : {};
    },
    exchanges: [
      byId,
      signOutWhenRefused,
      cacheExchange,
      fetchExchange,
      subscriptionExchange({
        forwardSubscription(request) {
          const input = { ...request, query: request.query ?? '' };
          return {
            subscribe(sink) {
              const unsubscribe = ws.subscribe(input, sink);
              return { unsubscribe };
            },
          };
        },
      }),
    ],
  });
}
