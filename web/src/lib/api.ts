// Where the registry's API is. The explorer reaches GraphQL (HTTP and WebSocket) and sign-in at
// one server, named by its base URL; the first of these that names it wins:
//
//   1. at deploy time, `config.js` beside index.html (loaded before the app):
//        window.__REGISTRY_CONFIG__ = { apiUrl: 'https://api.example.org', wsUrl: 'wss://…' }
//   2. at build time, VITE_API_URL (and VITE_API_WS_URL);
//   3. else this page's own origin: registry-server serving the explorer itself.
//
// The WebSocket's URL is the `wsUrl` given with (or above) the `apiUrl` that won, else that
// `apiUrl` with ws/wss for http/https: a new apiUrl at deploy time is never paired with a wsUrl
// the build had for another server. A malformed value is an ApiConfigError, which the page shows
// instead of the app.

/** What `config.js` may set. */
export type RegistryConfig = { apiUrl?: string; wsUrl?: string };

declare global {
  interface Window {
    /** The deploy-time settings `config.js` sets (see lib/api.ts). */
    __REGISTRY_CONFIG__?: RegistryConfig;
  }
  interface ImportMetaEnv {
    readonly VITE_API_URL?: string;
    readonly VITE_API_WS_URL?: string;
  }
}

/** Where each request goes. */
export interface Endpoints {
  /** GraphQL over HTTP: `/graphql` on this origin, or `<apiUrl>/graphql`. */
  graphql: string;
  /** GraphQL over WebSocket (graphql-transport-ws). */
  graphqlWs: string;
  /** Sign-in (SEP-10): `/auth`, or `<apiUrl>/auth`. */
  auth: string;
  /** The API's base URL when it was configured; null for this page's own origin. */
  apiUrl: string | null;
}

/** A URL setting that cannot be used, with the message the page shows. */
export class ApiConfigError extends Error {}

type Page = { protocol: string; host: string };
type Layer = { api?: string; ws?: string; apiName: string; wsName: string };

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** A value that says something: a non-empty string. Anything else set is an error. */
function setting(value: unknown, name: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    throw new ApiConfigError(`${name} must be a URL in quotes, not ${JSON.stringify(value)}.`);
  }
  return value.trim() || undefined;
}

/**
 * `value` as a base URL of one of `schemes` (its path without trailing slash, nor a trailing
 * `/graphql`, which is accepted as the endpoint's own URL), or an ApiConfigError naming `name`.
 */
function baseUrl(value: string, name: string, schemes: readonly string[], page: Page): string {
  const expected = `an absolute ${schemes.map((s) => `${s}//`).join(' or ')} URL, such as ${schemes.at(-1)}//api.registry.example.org`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ApiConfigError(`${name} is “${value}”, which is not a URL: expected ${expected}.`);
  }
  if (!schemes.includes(url.protocol)) {
    throw new ApiConfigError(`${name} is “${value}”: expected ${expected}.`);
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new ApiConfigError(
      `${name} is “${value}”: a base URL has no user name, password, query or fragment (expected ${expected}).`,
    );
  }
  const insecure = url.protocol === 'http:' || url.protocol === 'ws:';
  if (page.protocol === 'https:' && insecure && !LOOPBACK.has(url.hostname)) {
    throw new ApiConfigError(
      `${name} is “${value}”, but this page was loaded over https: browsers block ${url.protocol.slice(0, -1)}:// requests from it. Use ${url.protocol === 'http:' ? 'https' : 'wss'}://.`,
    );
  }
  const path = url.pathname.replace(/\/+$/, '').replace(/\/graphql$/, '');
  return `${url.protocol}//${url.host}${path}`;
}

/** Resolves the endpoints from the deploy-time settings, the build's and the page's origin. */
export function resolveEndpoints(
  runtime: unknown,
  build: { apiUrl?: string; wsUrl?: string },
  page: Page,
): Endpoints {
  if (runtime !== undefined && (runtime === null || typeof runtime !== 'object' || Array.isArray(runtime))) {
    throw new ApiConfigError(
      'config.js must set window.__REGISTRY_CONFIG__ to an object, like { apiUrl: "https://api.registry.example.org" }.',
    );
  }
  const r = (runtime ?? {}) as Record<string, unknown>;
  const layers: Layer[] = [
    {
      api: setting(r.apiUrl, 'apiUrl in config.js'),
      ws: setting(r.wsUrl, 'wsUrl in config.js'),
      apiName: 'apiUrl in config.js',
      wsName: 'wsUrl in config.js',
    },
    {
      api: setting(build.apiUrl, 'VITE_API_URL'),
      ws: setting(build.wsUrl, 'VITE_API_WS_URL'),
      apiName: 'VITE_API_URL (given to the build)',
      wsName: 'VITE_API_WS_URL (given to the build)',
    },
  ];
  const apiAt = layers.findIndex((l) => l.api);
  const wsLayer = layers.find((l, i) => l.ws && (apiAt < 0 || i <= apiAt));
  const apiLayer = layers[apiAt];
  const api = apiLayer?.api ? baseUrl(apiLayer.api, apiLayer.apiName, ['http:', 'https:'], page) : null;
  const ws = wsLayer?.ws
    ? baseUrl(wsLayer.ws, wsLayer.wsName, ['ws:', 'wss:'], page)
    : api
      ? api.replace(/^http/, 'ws')
      : `${page.protocol === 'https:' ? 'wss' : 'ws'}://${page.host}`;
  return {
    graphql: api ? `${api}/graphql` : '/graphql',
    graphqlWs: `${ws}/graphql`,
    auth: api ? `${api}/auth` : '/auth',
    apiUrl: api,
  };
}

let resolved: Endpoints | null = null;

/** This page's endpoints (resolved once); throws an ApiConfigError when a setting is malformed. */
export function endpoints(): Endpoints {
  resolved ??= resolveEndpoints(
    window.__REGISTRY_CONFIG__,
    { apiUrl: import.meta.env.VITE_API_URL, wsUrl: import.meta.env.VITE_API_WS_URL },
    window.location,
  );
  return resolved;
}

/** The API's base URL when it is on another origin than this page, else null (also when
 * misconfigured). */
export function foreignApi(): string | null {
  try {
    const api = endpoints().apiUrl;
    return api && new URL(api).origin !== window.location.origin ? api : null;
  } catch {
    return null;
  }
}
