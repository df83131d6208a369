// GraphiQL for the registry's API, built with the explorer and served by the API server at
// GET /graphql to browsers: every script and style comes from the server itself, under the
// same Content-Security-Policy as the explorer (no third-party CDN).
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './graphiql.css';

const http = new URL('/graphql', window.location.href);
const ws = new URL(http);
ws.protocol = http.protocol === 'https:' ? 'wss:' : 'ws:';

const fetcher = createGraphiQLFetcher({ url: http.href, subscriptionUrl: ws.href });

const root = document.getElementById('graphiql');
if (root) {
  createRoot(root).render(<GraphiQL fetcher={fetcher} defaultQuery={'{\n  contracts(first: 5) {\n    nodes { contractId name network }\n  }\n}\n'} />);
}
