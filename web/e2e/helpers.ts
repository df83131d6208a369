// What the end-to-end test files share: the servers' URLs (from setup.ts), the API and the
// database for checking and arranging, headless Chromium, and screenshots in web/test-results/.
import { execFileSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type Browser, type Page, chromium } from 'playwright-core';
import { inject } from 'vitest';

export const base = inject('baseUrl');
export const apiUrl = inject('apiUrl');
export const admin = inject('adminUrl');
export const databaseUrl = inject('databaseUrl');
export const binDir = inject('binDir');
export const results = join(dirname(fileURLToPath(import.meta.url)), '../test-results');
mkdirSync(results, { recursive: true });

/** A query on the server that runs any document; an answer with errors throws. */
export async function api<T>(
  query: string,
  variables: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Promise<T> {
  const res = await fetch(`${apiUrl}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  const body = (await res.json()) as { data?: T; errors?: { message: string }[] };
  if (body.errors?.length || !body.data) throw new Error(`API error: ${JSON.stringify(body.errors)}`);
  return body.data;
}

/** Runs SQL on the test database; `vars` become psql variables (quoted in the SQL as :'name'). */
export function sql(input: string, vars: Record<string, string> = {}): string {
  const args = [databaseUrl, '-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1'];
  for (const [k, v] of Object.entries(vars)) args.push('-v', `${k}=${v}`);
  return execFileSync('psql', args, { input, encoding: 'utf8' }).trim();
}

/** Past the server's one-second response cache, after a change made with `sql`. */
export const pastCache = () => new Promise((r) => setTimeout(r, 1100));

export function launch(): Promise<Browser> {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

export async function shot(page: Page, name: string) {
  await page.screenshot({ path: join(results, `${name}.png`), fullPage: true });
}
