// The GraphQL-over-HTTP audit suite (npm graphql-http, `auditServer`) against the real server:
// every MUST and SHOULD of the specification holds (no warning, no error).
import { auditServer } from 'graphql-http';
import { expect, inject, test } from 'vitest';

const base = inject('apiUrl');

test('the server passes the GraphQL over HTTP audit with no warning and no error', async () => {
  const results = await auditServer({ url: `${base}/graphql` });
  const failed = results
    .filter((r) => r.status === 'warn' || r.status === 'error')
    .map((r) => `${r.status}: ${r.name}: ${'reason' in r ? r.reason : ''}`);
  expect(failed).toEqual([]);
  expect(results.filter((r) => r.status === 'ok').length).toBeGreaterThan(20);
});
