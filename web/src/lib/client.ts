// The GraphQL client: queries over HTTP POST, subscriptions over one WebSocket
// (graphql-transport-ws), both to /graphql on this origin. Every operation is sent by the
// sha256 the build embedded in it (its id in persisted-documents.json), never as text, so a
// server that runs only trusted documents (GRAPHQL_DOCUMENTS=persisted) serves the explorer.
import {
  Client,
  cacheExchange,
  fetchExchange,
  makeOperation,
  mapExchange,
  subscriptionExchange,
} from 'urql';
import { createClient as createWsClient } from 'graphql-ws';

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

export function makeClient(location: Location = window.location): Client {
  const wsUrl = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/graphql`;
  const ws = createWsClient({
    url: wsUrl,
    lazy: true,
    retryAttempts: Number.POSITIVE_INFINITY,
    shouldRetry: () => true,
    on: {
      connected: (_socket, _payload, wasRetry) => {
        setLiveState('connected');
        if (wasRetry) reconnectListeners.forEach((l) => l());
      },
      // A normal close (1000) is the client's own, once nothing is subscribed; any other is a
      // drop, and a retry follows.
      closed: (event) => {
        const code = (event as { code?: number } | undefined)?.code;
        setLiveState(code === 1000 ? 'idle' : 'reconnecting');
      },
    },
  });
  return new Client({
    url: '/graphql',
    // A page seen before shows at once from the cache and is then read again: the registry
    // changes every few seconds.
    requestPolicy: 'cache-and-network',
    exchanges: [
      byId,
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
