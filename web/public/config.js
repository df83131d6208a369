// The explorer's settings at deploy time: edit this file where the explorer is hosted; no
// rebuild is needed (it is served as is, never cached for long, and loaded before the app).
//
//   apiUrl  the registry server's base URL, http:// or https:// (GraphQL is at <apiUrl>/graphql,
//           sign-in at <apiUrl>/auth), e.g. 'https://api.registry.example.org'
//   wsUrl   the same server for the live feed, ws:// or wss://; left out, apiUrl with ws/wss
//
// Left out or empty, the URL the build was given (VITE_API_URL, VITE_API_WS_URL) applies, else
// this page's own origin: what the explorer needs when registry-server serves it. A value that
// is not such a URL stops the explorer with a message on the page.
window.__REGISTRY_CONFIG__ = {
  // apiUrl: 'https://api.registry.example.org',
  // wsUrl: 'wss://api.registry.example.org',
};
