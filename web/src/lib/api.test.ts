import { describe, expect, test } from 'vitest';
import { ApiConfigError, resolveEndpoints } from './api';

const page = { protocol: 'http:', host: 'explorer.test:8080' };
const securePage = { protocol: 'https:', host: 'explorer.example.org' };

/** The message of the ApiConfigError `f` throws. */
function refusal(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(ApiConfigError);
    return (e as Error).message;
  }
  throw new Error('no error');
}

describe('resolveEndpoints', () => {
  test('without any setting, the API is this page’s own origin', () => {
    expect(resolveEndpoints(undefined, {}, page)).toEqual({
      graphql: '/graphql',
      graphqlWs: 'ws://explorer.test:8080/graphql',
      auth: '/auth',
      apiUrl: null,
    });
    expect(resolveEndpoints({}, { apiUrl: '', wsUrl: '  ' }, securePage).graphqlWs).toBe(
      'wss://explorer.example.org/graphql',
    );
  });

  test('config.js wins over the build, which wins over the page’s origin', () => {
    const build = { apiUrl: 'https://built.example.org' };
    expect(resolveEndpoints(undefined, build, page)).toEqual({
      graphql: 'https://built.example.org/graphql',
      graphqlWs: 'wss://built.example.org/graphql',
      auth: 'https://built.example.org/auth',
      apiUrl: 'https://built.example.org',
    });
    const runtime = { apiUrl: 'http://127.0.0.1:3001' };
    expect(resolveEndpoints(runtime, build, page)).toEqual({
      graphql: 'http://127.0.0.1:3001/graphql',
      graphqlWs: 'ws://127.0.0.1:3001/graphql',
      auth: 'http://127.0.0.1:3001/auth',
      apiUrl: 'http://127.0.0.1:3001',
    });
    // An empty value in config.js leaves the build's.
    expect(resolveEndpoints({ apiUrl: '' }, build, page).apiUrl).toBe('https://built.example.org');
  });

  test('the WebSocket follows the API’s URL unless a wsUrl is given with or above it', () => {
    const build = { apiUrl: 'https://built.example.org', wsUrl: 'wss://live.built.example.org' };
    expect(resolveEndpoints(undefined, build, page).graphqlWs).toBe('wss://live.built.example.org/graphql');
    // A new API at deploy time does not keep the build's socket for another server…
    expect(resolveEndpoints({ apiUrl: 'https://api.example.org' }, build, page).graphqlWs).toBe(
      'wss://api.example.org/graphql',
    );
    // …unless config.js names one.
    expect(
      resolveEndpoints({ apiUrl: 'https://api.example.org', wsUrl: 'wss://live.example.org/' }, build, page).graphqlWs,
    ).toBe('wss://live.example.org/graphql');
    // A socket alone, with the API on this origin.
    expect(resolveEndpoints({ wsUrl: 'ws://127.0.0.1:3001' }, {}, page)).toMatchObject({
      graphql: '/graphql',
      graphqlWs: 'ws://127.0.0.1:3001/graphql',
    });
  });

  test('a base URL keeps its path, without a trailing slash or /graphql', () => {
    for (const apiUrl of [
      'https://example.org/registry',
      'https://example.org/registry/',
      'https://example.org/registry/graphql',
      'HTTPS://EXAMPLE.org/registry',
    ]) {
      expect(resolveEndpoints({ apiUrl }, {}, page), apiUrl).toMatchObject({
        graphql: 'https://example.org/registry/graphql',
        graphqlWs: 'wss://example.org/registry/graphql',
        auth: 'https://example.org/registry/auth',
      });
    }
  });

  test('a malformed URL is refused with a message that names the setting', () => {
    expect(refusal(() => resolveEndpoints({ apiUrl: 'api.example.org' }, {}, page))).toMatch(
      /^apiUrl in config.js is “api.example.org”, which is not a URL: expected an absolute http:\/\/ or https:\/\/ URL/,
    );
    expect(refusal(() => resolveEndpoints({ apiUrl: 'ftp://api.example.org' }, {}, page))).toMatch(
      /^apiUrl in config.js is “ftp:\/\/api.example.org”: expected an absolute http:\/\/ or https:\/\//,
    );
    expect(refusal(() => resolveEndpoints({ apiUrl: 'javascript:alert(1)' }, {}, page))).toMatch(/expected an absolute/);
    expect(refusal(() => resolveEndpoints({ apiUrl: 'wss://api.example.org' }, {}, page))).toMatch(/expected/);
    expect(refusal(() => resolveEndpoints({ apiUrl: 'https://api.example.org/?x=1' }, {}, page))).toMatch(
      /no user name, password, query or fragment/,
    );
    expect(refusal(() => resolveEndpoints({ apiUrl: 'https://me:pw@api.example.org' }, {}, page))).toMatch(
      /no user name, password/,
    );
    expect(refusal(() => resolveEndpoints({ apiUrl: 42 }, {}, page))).toBe(
      'apiUrl in config.js must be a URL in quotes, not 42.',
    );
    expect(refusal(() => resolveEndpoints({ wsUrl: 'https://api.example.org' }, {}, page))).toMatch(
      /^wsUrl in config.js is “https:\/\/api.example.org”: expected an absolute ws:\/\/ or wss:\/\/ URL/,
    );
    expect(refusal(() => resolveEndpoints(undefined, { apiUrl: 'nope' }, page))).toMatch(
      /^VITE_API_URL \(given to the build\) is “nope”/,
    );
    expect(refusal(() => resolveEndpoints('https://api.example.org', {}, page))).toMatch(
      /window.__REGISTRY_CONFIG__ to an object/,
    );
    expect(refusal(() => resolveEndpoints(null, {}, page))).toMatch(/to an object/);
  });

  test('a page over https refuses an API over plain http, except on this machine', () => {
    expect(refusal(() => resolveEndpoints({ apiUrl: 'http://api.example.org' }, {}, securePage))).toMatch(
      /loaded over https: browsers block http:\/\/ requests from it. Use https:\/\//,
    );
    expect(
      refusal(() =>
        resolveEndpoints({ apiUrl: 'https://api.example.org', wsUrl: 'ws://api.example.org' }, {}, securePage),
      ),
    ).toMatch(/Use wss:\/\//);
    expect(resolveEndpoints({ apiUrl: 'http://localhost:3001' }, {}, securePage).graphqlWs).toBe(
      'ws://localhost:3001/graphql',
    );
  });

  test('a setting that is not used is not checked', () => {
    // The build's socket is for another server than config.js's API: ignored, not refused.
    expect(
      resolveEndpoints({ apiUrl: 'https://api.example.org' }, { apiUrl: 'nope', wsUrl: 'nope' }, page).graphqlWs,
    ).toBe('wss://api.example.org/graphql');
  });
});
