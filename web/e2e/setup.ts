// Starts the registry for the end-to-end tests: migrates and seeds E2E_DATABASE_URL (a database
// of its own: it is emptied), then runs two registry-servers on free loopback ports, both
// serving the built explorer (web/dist): the explorer's, which runs only the build's trusted
// documents (GRAPHQL_DOCUMENTS=persisted), and one that runs any document, for the tests' own
// queries, GraphiQL and the GraphQL-over-HTTP audit. Sign-in (SEP-10) reads accounts from a
// simulated local network (registry-sim), where the tests' accounts do not exist: each signs
// with its own key. The tests get the URLs through `inject`.
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The explorer's server: trusted documents only. */
    baseUrl: string;
    /** A server on the same database that runs any document. */
    apiUrl: string;
    /** The server's operators' listener (`/metrics`, `/ready`). */
    adminUrl: string;
    databaseUrl: string;
    binDir: string;
    /** The simulated network's RPC (sign-in reads accounts there). */
    rpcUrl: string;
  }
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const address = s.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      s.close(() => ok(port));
    });
  });
}

async function waitReady(url: string, server: ChildProcess, init?: RequestInit): Promise<void> {
  const name = server.spawnfile.split('/').pop();
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`${name} exited with ${server.exitCode}`);
    try {
      if ((await fetch(url, init)).ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${name} did not become ready at ${url}`);
}

async function stop(child: ChildProcess) {
  child.kill('SIGTERM');
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)));
}

export default async function setup(project: TestProject) {
  const databaseUrl = process.env.E2E_DATABASE_URL;
  if (!databaseUrl) {
    throw new Error('E2E_DATABASE_URL is not set: `make test` sets it (a database the tests may empty)');
  }
  const binDir = resolve(process.env.REGISTRY_BIN_DIR ?? join(root, 'target/debug'));
  for (const bin of ['registry-server', 'registry-indexer', 'registry-seed', 'registry-sim', 'registry-verifier', 'registry-attest']) {
    if (!existsSync(join(binDir, bin))) {
      throw new Error(`${join(binDir, bin)} is missing: build the workspace first (cargo build --workspace)`);
    }
  }
  const webDir = join(root, 'web/dist');
  if (!existsSync(join(webDir, 'index.html'))) {
    throw new Error('web/dist is missing: run `npm run build` first');
  }
  const env = { ...process.env, DATABASE_URL: databaseUrl, RUST_LOG: 'warn' };
  execFileSync(join(binDir, 'registry-indexer'), ['migrate'], { env, stdio: 'inherit' });
  execFileSync(join(binDir, 'registry-seed'), ['--count', '300', '--seed', '7', '--reset'], {
    env,
    stdio: 'inherit',
  });
  // The simulated network's RPC: its initial ledger only (nothing indexes it).
  const simPort = await freePort();
  const sim = spawn(
    join(binDir, 'registry-sim'),
    ['--port', String(simPort), '--interval-ms', '0', '--initial', '1', '--profile', 'test'],
    { env, stdio: ['ignore', 'inherit', 'inherit'] },
  );
  const rpcUrl = `http://127.0.0.1:${simPort}/`;
  await waitReady(rpcUrl, sim, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'getHealth' }),
  });
  const start = async (documents: 'any' | 'persisted') => {
    const port = await freePort();
    const adminPort = await freePort();
    const server = spawn(join(binDir, 'registry-server'), [], {
      env: {
        ...env,
        HOST: '127.0.0.1',
        PORT: String(port),
        ADMIN_PORT: String(adminPort),
        WEB_DIR: webDir,
        RATE_LIMIT_PER_SECOND: '0',
        AUTH_RATE_LIMIT_PER_MINUTE: '0',
        GRAPHQL_DOCUMENTS: documents,
        STELLAR_NETWORK: 'local',
        STELLAR_RPC_URL: rpcUrl,
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const url = `http://127.0.0.1:${port}`;
    const admin = `http://127.0.0.1:${adminPort}`;
    await waitReady(`${admin}/ready`, server);
    return { server, url, admin };
  };
  const explorer = await start('persisted');
  const open = await start('any');
  const baseUrl = explorer.url;
  const adminUrl = explorer.admin;
  project.provide('baseUrl', baseUrl);
  project.provide('apiUrl', open.url);
  project.provide('adminUrl', adminUrl);
  project.provide('databaseUrl', databaseUrl);
  project.provide('binDir', binDir);
  project.provide('rpcUrl', rpcUrl);
  return async () => {
    for (const child of [explorer.server, open.server, sim]) await stop(child);
  };
}
