// The explorer on a host of its own: its built files served by a plain static server on another
// port, each copy with its config.js edited to name a registry-server that serves the API only
// (no explorer) and allows one of them (CORS_ALLOWED_ORIGINS). From the allowed host, the home
// page loads over HTTP, the live list follows over the WebSocket, and sign-in works; from a
// host the server does not list, the page says why it has no data; with a malformed URL in
// config.js, the page says what is wrong.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { cpSync, createReadStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { type AddressInfo, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Keypair, TransactionBuilder } from '@stellar/stellar-base';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest';
import { api, binDir, databaseUrl, launch, shot } from './helpers';

const run = promisify(execFile);
const dist = resolve(dirname(fileURLToPath(import.meta.url)), '../dist');

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.json': 'application/json',
};

type Host = { url: string; dir: string; server: Server };

/** A static file server for a copy of the build (unknown paths get index.html, as the app's
 * routes need); its config.js is written by `configure`. */
async function staticHost(): Promise<Host> {
  const dir = mkdtempSync(join(tmpdir(), 'registry-explorer-'));
  cpSync(dist, dir, { recursive: true });
  const server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://host').pathname));
    let file = join(dir, path);
    if (!file.startsWith(dir + sep) || !existsSync(file) || statSync(file).isDirectory()) file = join(dir, 'index.html');
    res.writeHead(200, {
      'content-type': TYPES[extname(file)] ?? 'application/octet-stream',
      'cache-control': 'no-cache',
    });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, dir, server };
}

/** What is edited at deploy time: config.js beside index.html. */
function configure(host: Host, settings: string) {
  writeFileSync(join(host.dir, 'config.js'), `window.__REGISTRY_CONFIG__ = ${settings};\n`);
}

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createNetServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => ok(port));
    });
  });
}

let browser: Browser;
let allowed: Host;
let unlisted: Host;
let broken: Host;
let registry: ChildProcess;
let apiBase: string;
let adminBase: string;

beforeAll(async () => {
  [allowed, unlisted, broken] = await Promise.all([staticHost(), staticHost(), staticHost()]);
  const [port, adminPort] = [await freePort(), await freePort()];
  apiBase = `http://127.0.0.1:${port}`;
  adminBase = `http://127.0.0.1:${adminPort}`;
  // The API alone: no explorer of its own, the build's trusted documents only.
  registry = spawn(join(binDir, 'registry-server'), [], {
    env: {
      ...process.env,
      DATABASE_URL: databaseUrl,
      RUST_LOG: 'warn',
      HOST: '127.0.0.1',
      PORT: String(port),
      ADMIN_PORT: String(adminPort),
      WEB_DIR: '',
      GRAPHQL_DOCUMENTS: 'persisted',
      GRAPHQL_DOCUMENTS_FILE: join(dist, 'persisted-documents.json'),
      CORS_ALLOWED_ORIGINS: allowed.url,
      RATE_LIMIT_PER_SECOND: '0',
      AUTH_RATE_LIMIT_PER_MINUTE: '0',
      STELLAR_NETWORK: 'local',
      STELLAR_RPC_URL: inject('rpcUrl'),
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (registry.exitCode !== null) throw new Error(`registry-server exited with ${registry.exitCode}`);
    if (await fetch(`${adminBase}/ready`).then((r) => r.ok, () => false)) break;
    if (Date.now() > deadline) throw new Error('registry-server did not become ready');
    await new Promise((r) => setTimeout(r, 200));
  }
  configure(allowed, JSON.stringify({ apiUrl: apiBase }));
  configure(unlisted, JSON.stringify({ apiUrl: apiBase }));
  configure(broken, JSON.stringify({ apiUrl: 'registry.example.org/graphql' }));
  browser = await launch();
});

afterAll(async () => {
  await browser?.close();
  for (const host of [allowed, unlisted, broken]) {
    if (!host) continue;
    host.server.closeAllConnections();
    await new Promise((r) => host.server.close(r));
    rmSync(host.dir, { recursive: true, force: true });
  }
  if (registry && registry.exitCode === null) {
    registry.kill('SIGTERM');
    await new Promise((r) => registry.once('exit', r));
  }
});

/** A page whose errors (console and uncaught) are collected. */
async function newPage(): Promise<{ page: Page; errors: string[] }> {
  const page = await (await browser.newContext({ viewport: { width: 1280, height: 900 } })).newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
  });
  return { page, errors };
}

describe('the explorer on its own host', () => {
  test('loads its data from the API on another origin, over HTTP and the WebSocket', async () => {
    const { page, errors } = await newPage();
    const requests: string[] = [];
    page.on('request', (r) => {
      if (r.url().includes('/graphql')) requests.push(r.url());
    });
    const sockets: string[] = [];
    const subscribed = new Promise<void>((ok) =>
      page.on('websocket', (ws) => {
        sockets.push(ws.url());
        ws.on('framesent', (f) => {
          if (typeof f.payload === 'string' && f.payload.includes('"subscribe"')) ok();
        });
      }),
    );
    await page.goto(`${allowed.url}/?network=mainnet`);
    await page.waitForSelector('.figure dd');
    await page.waitForSelector('#live-list tbody tr');
    const { contracts } = await api<{ contracts: { nodes: { contractId: string }[] } }>(
      `{ contracts(first: 10, filter: { network: MAINNET }) { nodes { contractId } } }`,
    );
    const listed = await page.$$eval('#live-list a.contract-link', (links) =>
      links.map((a) => decodeURIComponent((a as HTMLAnchorElement).pathname.split('/').pop() ?? '')),
    );
    expect(listed).toEqual(contracts.nodes.map((n) => n.contractId));
    // Everything went to the API's server, nothing to the page's own host.
    expect(requests.length).toBeGreaterThan(0);
    expect(requests.every((u) => u.startsWith(`${apiBase}/graphql`))).toBe(true);
    // The footer names the API where it is.
    expect(await page.getAttribute('footer a', 'href')).toBe(`${apiBase}/graphql`);
    await subscribed;
    expect(sockets).toEqual([`${apiBase.replace('http://', 'ws://')}/graphql`]);
    await page.waitForSelector('.live-state:text-is("live")');

    // A new deployment arrives over the socket.
    await page.goto(`${allowed.url}/?network=testnet`);
    await page.waitForSelector('#live-list tbody tr');
    await page.waitForSelector('.live-state:text-is("live")');
    const { stdout } = await run(join(binDir, 'registry-seed'), ['--deploy', '1', '--network', 'testnet'], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
    });
    const id = stdout.trim();
    expect(id).toMatch(/^C[A-Z2-7]{55}$/);
    await page.waitForSelector(`#live-list a.contract-link[href$="${id}"]`, { timeout: 15_000 });
    await shot(page, 'own-host');
    expect(errors).toEqual([]);
  });

  test('signs in across origins, and signed-in requests are let through', async () => {
    const key = Keypair.random();
    const { page, errors } = await newPage();
    await page.context().exposeFunction('e2eSignChallenge', (xdr: string, passphrase: string) => {
      const tx = TransactionBuilder.fromXDR(xdr, passphrase);
      tx.sign(key);
      return tx.toEnvelope().toXDR('base64');
    });
    await page.context().addInitScript((address: string) => {
      const w = window as unknown as {
        registrySigner: unknown;
        e2eSignChallenge: (xdr: string, passphrase: string) => Promise<string>;
      };
      w.registrySigner = {
        name: 'The test signer',
        getAddress: async () => address,
        signTransaction: (xdr: string, passphrase: string) => w.e2eSignChallenge(xdr, passphrase),
      };
    }, key.publicKey());
    const authorized: string[] = [];
    page.on('request', (r) => {
      if (r.url().startsWith(`${apiBase}/graphql`) && r.headers().authorization) authorized.push(r.method());
    });
    await page.goto(`${allowed.url}/?network=mainnet`);
    await page.waitForSelector('.figure dd');
    await page.click('button:text-is("Sign in with a Stellar wallet")');
    await page.waitForSelector(`header .account-link[title="${key.publicKey()}"]`);
    await page.goto(`${allowed.url}/contracts?network=mainnet`);
    await page.waitForSelector('main a.contract-link');
    // The token went with the requests, each after a preflight the server allowed.
    expect(authorized.length).toBeGreaterThan(0);
    await page.waitForSelector(`header .account-link[title="${key.publicKey()}"]`);
    expect(errors).toEqual([]);
  });

  test('from a host the server does not list, the page says why it has no data', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${unlisted.url}/?network=mainnet`);
    const alert = await page.waitForSelector('#live-list [role=alert]', { timeout: 15_000 });
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('Could not load the newest contracts: the registry could not be reached');
    expect(text).toContain(`at ${apiBase}`);
    expect(text).toContain(`its CORS_ALLOWED_ORIGINS must list that origin`);
    expect(text).toContain(unlisted.url);
    // The socket is refused too (403), and the page says it is not live.
    await page.waitForSelector('.live-state:text-is("reconnecting…")');
    await expect.poll(() => errors.some((e) => e.includes('WebSocket') && e.includes('403'))).toBe(true);
    await shot(page, 'own-host-unlisted');
    // The browser logged the blocked requests: this test's doing.
    expect(errors.length).toBeGreaterThan(0);
    expect(errors.every((e) => /CORS|Failed to load resource|WebSocket/.test(e)), errors.join('\n')).toBe(true);
    // The server refuses its preflight, and its pages' socket, with the reason.
    const preflight = await fetch(`${apiBase}/graphql`, {
      method: 'OPTIONS',
      headers: { origin: unlisted.url, 'access-control-request-method': 'POST' },
    });
    expect(preflight.status).toBe(403);
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
  });

  test('a malformed URL in config.js stops the explorer with a message on the page', async () => {
    const { page, errors } = await newPage();
    await page.goto(`${broken.url}/`);
    const alert = await page.waitForSelector('[role=alert]');
    expect(await alert.$eval('h1', (h) => h.textContent)).toBe('The explorer is misconfigured');
    expect(await alert.textContent()).toContain(
      'apiUrl in config.js is “registry.example.org/graphql”, which is not a URL: expected an absolute http:// or https:// URL',
    );
    expect(errors).toHaveLength(1);
    expect(errors[0]).toContain('The explorer cannot start: apiUrl in config.js');
  });
});
