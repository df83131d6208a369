// GraphiQL for the registry's API, built with the explorer and served by the API server at
// GET /graphql to browsers: every script and style comes from the server itself, under the
// same Content-Security-Policy as the explorer (no third-party CDN).
import { createGraphiQLFetcher } from '@graphiql/toolkit';
import { GraphiQL } from 'graphiql';
import { createRoot } from 'react-dom/client';
import 'graphiql/style.css';
import './graphiql.css';
import { Misconfigured } from '../components/States';
import { ApiConfigError, endpoints } from '../lib/api';

const root = document.getElementById('graphiql');
if (root) {
  try {
    // The explorer's API (lib/api.ts): this origin, unless config.js or the build names another.
    const api = endpoints();
    const fetcher = createGraphiQLFetcher({
      url: new URL(api.graphql, window.location.href).href,
      subscriptionUrl: api.graphqlWs,
    });
    createRoot(root).render(<GraphiQL fetcher={fetcher} defaultQuery={'{\n  contracts(first: 5) {\n    nodes { contractId name network }\n  }\n}\n'} />);
  } catch (e) {
    if (!(e instanceof ApiConfigError)) throw e;
    console.error(`GraphiQL cannot start: ${e.message}`);
    createRoot(root).render(<Misconfigured message={e.message} />);
  }
}
