// Publishers in real headless Chromium: sign-in with a Stellar wallet (a test signer that signs
// the server's real SEP-10 challenge with a real ed25519 key), claiming a contract as its
// deployer, a claim the server refuses, releasing, tags, the publisher's own profile, and a
// build verification appearing live: the real registry-verifier judges an attestation signed
// by a test Sigstore (registry-attest) that a fake GitHub serves, and the open contract page
// shows the verdict as it is given.
import { type ChildProcess, execFile, execFileSync, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { type Server, createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { Keypair, TransactionBuilder } from '@stellar/stellar-base';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { api, base, binDir, databaseUrl, launch, pastCache, shot, sql } from './helpers';

const run = promisify(execFile);

/** The deployer of the contracts these tests claim, and an account that deployed nothing. */
const owner = Keypair.fromRawEd25519Seed(Buffer.alloc(32, 0x51));
const stranger = Keypair.fromRawEd25519Seed(Buffer.alloc(32, 0x52));
const short = (address: string) => `${address.slice(0, 4)}…${address.slice(-4)}`;

let browser: Browser;
const open: { ctx: BrowserContext; errors: string[] }[] = [];

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  const errors = open.flatMap((o) => o.errors);
  await browser?.close();
  expect(errors).toEqual([]);
});

type Wallet = { account?: Keypair; refuse?: string };

/**
 * A browser context whose pages have `window.registrySigner`: the test process signs the
 * challenge with `account`'s key (or refuses with `refuse`). Without a wallet, the page has
 * none (and no Freighter either).
 */
async function newContext(wallet: Wallet | null): Promise<BrowserContext> {
  const ctx = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  open.push({ ctx, errors: [] });
  if (wallet?.account) {
    const key = wallet.account;
    await ctx.exposeFunction('e2eSignChallenge', (xdr: string, passphrase: string) => {
      if (wallet.refuse) throw new Error(wallet.refuse);
      const tx = TransactionBuilder.fromXDR(xdr, passphrase);
      tx.sign(key);
      return tx.toEnvelope().toXDR('base64');
    });
    await ctx.addInitScript((address: string) => {
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
  }
  return ctx;
}

async function newPage(ctx: BrowserContext, expectErrors = false): Promise<Page> {
  const entry = open.find((o) => o.ctx === ctx);
  const page = await ctx.newPage();
  page.on('pageerror', (e) => entry?.errors.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    // A refused request is logged by the browser: expected where a test makes the server refuse.
    if (m.type() === 'error' && !expectErrors) entry?.errors.push(`${page.url()}: ${m.text()}`);
  });
  return page;
}

/** Signs in from the header and waits for the account to show. */
async function signIn(page: Page, account: Keypair) {
  await page.click('button:text-is("Sign in with a Stellar wallet")');
  await page.waitForSelector(`header .account-link[title="${account.publicKey()}"]`);
}

/** A new contract on futurenet (through the indexer's write path), deployed by `deployer`. */
async function deploy(deployer: string = Keypair.random().publicKey()): Promise<string> {
  const { stdout } = await run(join(binDir, 'registry-seed'), ['--deploy', '1', '--network', 'futurenet'], {
    env: { ...process.env, DATABASE_URL: databaseUrl },
  });
  const id = stdout.trim();
  expect(id).toMatch(/^C[A-Z2-7]{55}$/);
  sql(`UPDATE contracts SET deployer = :'deployer' WHERE network = 'futurenet' AND contract_id = :'id';`, { deployer, id });
  await pastCache();
  return id;
}

const contractPath = (id: string) => `${base}/contracts/futurenet/${id}`;

describe('sign-in', () => {
  test('signs in with a Stellar wallet, stays signed in on reload, and signs out', async () => {
    const ctx = await newContext({ account: owner });
    const page = await newPage(ctx);
    const sent: (string | undefined)[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/graphql') && r.method() === 'POST') sent.push(r.headers().authorization);
    });
    await page.goto(`${base}/?network=mainnet`);
    await page.waitForSelector('.figure dd');
    expect(sent.every((a) => a === undefined)).toBe(true);
    await signIn(page, owner);
    expect(await page.textContent('header .account-link')).toContain(short(owner.publicKey()));
    const stored = await page.evaluate(() => JSON.parse(sessionStorage.getItem('registry.session') ?? 'null'));
    expect(stored.address).toBe(owner.publicKey());
    expect(stored.expires).toBeGreaterThan(Date.now() / 1000);
    // The token is the server's: it names the account.
    const { viewer } = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${stored.token}` },
      body: JSON.stringify({ extensions: { persistedQuery: { version: 1, sha256Hash: await viewerHash(page) } } }),
    })
      .then((r) => r.json())
      .then((b: { data: { viewer: { address: string } } }) => b.data);
    expect(viewer.address).toBe(owner.publicKey());
    await shot(page, 'signed-in');

    // Every request from now on carries it.
    sent.length = 0;
    await page.goto(`${base}/contracts?network=mainnet`);
    await page.waitForSelector('main a.contract-link');
    expect(sent.length).toBeGreaterThan(0);
    expect(sent.every((a) => a === `Bearer ${stored.token}`)).toBe(true);
    await page.waitForSelector(`header .account-link[title="${owner.publicKey()}"]`);

    await page.click('header button:text-is("Sign out")');
    await page.waitForSelector('button:text-is("Sign in with a Stellar wallet")');
    expect(await page.evaluate(() => sessionStorage.getItem('registry.session'))).toBeNull();
  });

  test('says why when there is no wallet, or the wallet refuses', async () => {
    const none = await newPage(await newContext(null));
    await none.goto(`${base}/?network=mainnet`);
    await none.click('button:text-is("Sign in with a Stellar wallet")');
    // Freighter's extension is looked for (it answers within two seconds when present).
    expect(await (await none.waitForSelector('.sign-in-error', { timeout: 10_000 })).textContent()).toContain(
      'No Stellar wallet found: install the Freighter extension',
    );

    const refusing = await newPage(await newContext({ account: stranger, refuse: 'the person declined to sign' }));
    await refusing.goto(`${base}/?network=mainnet`);
    await refusing.click('button:text-is("Sign in with a Stellar wallet")');
    expect(await (await refusing.waitForSelector('.sign-in-error')).textContent()).toContain(
      'The test signer did not sign:',
    );
    expect(await refusing.textContent('.sign-in-error')).toContain('the person declined to sign');
    expect(await refusing.$('header .account-link')).toBeNull();
  });
});

/** The sha256 the explorer sends the Viewer query by (from the manifest the build ships). */
async function viewerHash(page: Page): Promise<string> {
  const manifest = (await (await page.request.get(`${base}/persisted-documents.json`)).json()) as Record<string, string>;
  const found = Object.entries(manifest).find(([, text]) => text.startsWith('query Viewer '));
  if (!found) throw new Error('the manifest has no Viewer query');
  return found[0];
}

type ContractFacts = {
  publisher: { address: string } | null;
  tags: { name: string; source: string }[];
  auditTrail: { action: string; actor: string }[];
};

async function facts(id: string): Promise<ContractFacts> {
  await pastCache();
  const { contract } = await api<{ contract: ContractFacts }>(
    `query ($id: String!) { contract(network: FUTURENET, contractId: $id) {
       publisher { address } tags { name source } auditTrail { action actor } } }`,
    { id },
  );
  return contract;
}

describe('claims', () => {
  test('the deployer claims a contract, tags it and releases it; the audit trail says so', async () => {
    const id = await deploy(owner.publicKey());
    const page = await newPage(await newContext({ account: owner }));
    await page.goto(contractPath(id));
    await page.waitForSelector('.owner-hint');
    expect(await page.textContent('#audit-title + *')).toContain('No publisher has changed this contract.');
    await signIn(page, owner);
    await page.waitForSelector('.owner-actions p:has-text("Your account deployed it.")');
    await page.click('button:text-is("Claim this contract")');
    await page.waitForSelector('.action-note:text-is("You now hold this contract.")');
    await page.waitForSelector(`.facts a[href="/publishers/${owner.publicKey()}"]`);
    expect((await facts(id)).publisher?.address).toBe(owner.publicKey());

    // Tags from the vocabulary.
    await page.check('.tag-editor input[value="defi"]');
    await page.check('.tag-editor input[value="dex"]');
    await page.click('button:text-is("Save tags")');
    await page.waitForSelector('.tag-editor .action-note:text-is("Tags saved.")');
    await page.waitForSelector('main .tags a:text-is("dex")');
    expect((await facts(id)).tags.filter((t) => t.source === 'MANUAL').map((t) => t.name)).toEqual(['defi', 'dex']);

    const rows = () =>
      page.$$eval('table.audit-trail tbody tr', (trs) =>
        trs.map((tr) => [...tr.querySelectorAll('td')].slice(1).map((td) => td.textContent)),
      );
    await expect.poll(rows).toEqual([
      [short(owner.publicKey()), 'Set tags', 'tags: none → defi, dex'],
      [short(owner.publicKey()), 'Claimed', `publisher: nobody → ${short(owner.publicKey())} (as its deployer)`],
    ]);
    expect(await page.getAttribute('table.audit-trail tbody tr a', 'href')).toBe(`/publishers/${owner.publicKey()}`);
    await shot(page, 'contract-claimed');

    await page.click('button:text-is("Release")');
    await page.waitForSelector('.action-note:text-is("You released this contract.")');
    await page.waitForSelector('.facts dd:text-is("unclaimed")');
    await page.waitForSelector('button:text-is("Claim this contract")');
    await expect.poll(async () => (await rows())[0]).toEqual([
      short(owner.publicKey()),
      'Released',
      `publisher: ${short(owner.publicKey())} → nobody`,
    ]);
    const after = await facts(id);
    expect(after.publisher).toBeNull();
    expect(after.auditTrail.map((e) => e.action)).toEqual(['releaseContract', 'setContractTags', 'claimContract']);
  });

  test("a claim by an account that did not deploy the contract is refused with the server's reason", async () => {
    const id = await deploy();
    const page = await newPage(await newContext({ account: stranger }));
    await page.goto(contractPath(id));
    await page.waitForSelector('.owner-hint');
    await signIn(page, stranger);
    await page.click('button:text-is("Claim this contract")');
    const refusal = await page.waitForSelector('.owner-actions .action-error');
    expect(await refusal.textContent()).toBe(
      "Could not claim this contract: only the account that deployed a contract, or one its home domain's stellar.toml lists in ACCOUNTS, can claim it",
    );
    expect(await refusal.getAttribute('role')).toBe('alert');
    await shot(page, 'claim-refused');
    const after = await facts(id);
    expect(after.publisher).toBeNull();
    expect(after.auditTrail).toEqual([]);
  });
});

describe('publisher profile', () => {
  test("the publisher edits their profile; the server's checks are shown", async () => {
    const page = await newPage(await newContext({ account: owner }));
    await page.goto(`${base}/publishers/${owner.publicKey()}`);
    await page.waitForSelector('h1');
    expect(await page.$('.profile-form')).toBeNull();
    await signIn(page, owner);
    await page.waitForSelector('.profile-form');
    await page.fill('.profile-form input[name=displayName]', 'Acme Labs');
    await page.fill('.profile-form input[name=website]', 'http://acme.example');
    await page.fill('.profile-form input[name=github]', 'acme-labs');
    await page.click('button:text-is("Save profile")');
    expect(await (await page.waitForSelector('.profile-form .action-error')).textContent()).toBe(
      'Not saved: `website` must be an https:// URL with a host name',
    );
    await page.fill('.profile-form input[name=website]', 'https://acme.example');
    await page.click('button:text-is("Save profile")');
    await page.waitForSelector('.profile-form .action-note:text-is("Profile saved.")');
    await page.waitForSelector('h1:text-is("Acme Labs")');
    await page.waitForSelector('.facts a[href="https://github.com/acme-labs"]');
    await page.waitForSelector('header .account-link:text-is("Acme Labs")');
    await shot(page, 'publisher-own');
    await pastCache();
    const { publisher } = await api<{ publisher: { displayName: string; website: string; github: string } }>(
      `query ($a: String!) { publisher(address: $a) { displayName website github } }`,
      { a: owner.publicKey() },
    );
    expect(publisher).toEqual({ displayName: 'Acme Labs', website: 'https://acme.example/', github: 'acme-labs' });
  });

  test('an account that is no publisher yet creates its profile from its own page', async () => {
    const fresh = Keypair.random();
    const page = await newPage(await newContext({ account: fresh }));
    await page.goto(`${base}/publishers/${fresh.publicKey()}`);
    await page.waitForSelector('h1:text-is("Not found")');
    await signIn(page, fresh);
    await page.waitForSelector('h1:text-is("Your publisher profile")');
    await page.fill('.profile-form input[name=displayName]', 'Fresh Start');
    await page.click('button:text-is("Save profile")');
    await page.waitForSelector('h1:text-is("Fresh Start")');
    await page.waitForSelector('.profile-form .action-note:text-is("Profile saved.")');
    await page.waitForSelector('header .account-link:text-is("Fresh Start")');
  });
});

/** A fake of GitHub's attestations API: 404 until `publish`, then the bundle; answers can be
 * held back until `release`, so a test sees the state before the verdict. */
class FakeGitHub {
  private server: Server = createServer((req, res) => this.answer(req.url ?? '', res));
  private bundles = new Map<string, unknown>();
  private held: Promise<void> | null = null;
  private releaseHeld: () => void = () => {};
  asked: string[] = [];
  url = '';

  async start() {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    const address = this.server.address();
    this.url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  }

  publish(repo: string, bundle: unknown) {
    this.bundles.set(repo, bundle);
  }

  hold() {
    this.held = new Promise((r) => (this.releaseHeld = r));
  }

  release() {
    this.releaseHeld();
    this.held = null;
  }

  private async answer(url: string, res: import('node:http').ServerResponse) {
    const m = url.match(/^\/repos\/([^/]+\/[^/]+)\/attestations\/sha256:([0-9a-f]{64})(\?|$)/);
    if (m) this.asked.push(`${m[1]}@${m[2]}`);
    if (this.held) await this.held;
    const bundle = m ? this.bundles.get(m[1] ?? '') : undefined;
    res.setHeader('content-type', 'application/json');
    if (!bundle) {
      res.writeHead(404).end(JSON.stringify({ message: 'Not Found' }));
      return;
    }
    res.writeHead(200).end(JSON.stringify({ attestations: [{ bundle, repository_id: 1 }] }));
  }

  async stop() {
    this.release();
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
}

describe('build verification', () => {
  const github = new FakeGitHub();
  const dir = mkdtempSync(join(tmpdir(), 'registry-e2e-'));
  // A WASM of this run, its repository and the commit its attestation names.
  const hash = randomBytes(32).toString('hex');
  const repo = `e2e-labs/token-${hash.slice(0, 8)}`;
  const commit = randomBytes(20).toString('hex');
  let bundle: unknown;
  let verifier: ChildProcess;

  beforeAll(async () => {
    await github.start();
    const root = join(dir, 'trusted_root.json');
    bundle = JSON.parse(
      execFileSync(join(binDir, 'registry-attest'), ['--root-out', root, '--hash', hash, '--repo', repo, '--commit', commit], {
        encoding: 'utf8',
      }),
    );
    verifier = spawn(join(binDir, 'registry-verifier'), [], {
      env: {
        ...process.env,
        DATABASE_URL: databaseUrl,
        VERIFIER_GITHUB_API_URL: github.url,
        VERIFIER_TRUSTED_ROOT: root,
        VERIFIER_POLL_INTERVAL_MS: '200',
        VERIFIER_RETRY_BASE_MS: '200',
        VERIFIER_METRICS_PORT: '0',
        RUST_LOG: 'warn',
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
  });

  afterAll(async () => {
    if (verifier && verifier.exitCode === null) {
      verifier.kill('SIGTERM');
      await new Promise((r) => (verifier.exitCode !== null ? r(null) : verifier.once('exit', r)));
    }
    await github.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  type Verification = { verification: string; buildVerification: { status: string; reason: string | null } | null };
  async function verification(id: string): Promise<Verification> {
    const { contract } = await api<{ contract: Verification }>(
      `query ($id: String!) { contract(network: FUTURENET, contractId: $id) { verification buildVerification { status reason } } }`,
      { id },
    );
    return contract;
  }

  test('a verdict appears on the open contract page as the verifier gives it', async () => {
    const id = await deploy(owner.publicKey());
    // The contract runs a WASM of this run whose meta names its repository (SEP-55): storing
    // it queues its verification, which fails while GitHub has no attestation of it.
    sql(
      `BEGIN;
       INSERT INTO wasm_codes (hash, size_bytes, first_seen_network, first_seen_ledger, first_seen_at, meta)
       VALUES (decode(:'hash', 'hex'), 4242, 'futurenet', 10, now(),
               jsonb_build_array(jsonb_build_object('key', 'source_repo', 'value', 'github:' || :'repo')));
       UPDATE contracts SET wasm_pk = (SELECT pk FROM wasm_codes WHERE hash = decode(:'hash', 'hex'))
       WHERE network = 'futurenet' AND contract_id = :'id';
       COMMIT;`,
      { hash, repo, id },
    );
    await expect
      .poll(() => verification(id), { timeout: 20_000, interval: 500 })
      .toEqual({
        verification: 'FAILED',
        buildVerification: { status: 'FAILED', reason: `github:${repo} has no build attestation for this WASM's hash` },
      });
    expect(github.asked).toContain(`${repo}@${hash}`);

    const page = await newPage(await newContext({ account: owner }));
    const inits: string[] = [];
    page.on('websocket', (ws) =>
      ws.on('framesent', (f) => {
        if (typeof f.payload === 'string' && f.payload.includes('"connection_init"')) inits.push(f.payload);
      }),
    );
    await page.goto(contractPath(id));
    await page.waitForSelector('#contract-verification .verification-failed');
    expect(await page.textContent('#build-verification .verification-reason')).toBe(
      `github:${repo} has no build attestation for this WASM's hash`,
    );
    expect(await page.getAttribute('#build-verification .verification-repository >> xpath=..', 'href')).toBe(
      `https://github.com/${repo}`,
    );
    await signIn(page, owner);
    // The live connection comes back signed in.
    await expect.poll(() => inits.some((i) => i.includes('"authorization":"Bearer '))).toBe(true);
    await page.click('button:text-is("Claim this contract")');
    await page.waitForSelector('button:text-is("Request verification")');
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });

    // The publisher publishes the attestation and asks again; GitHub's answer is held, so the
    // queued check shows first (the failure stands until the new verdict).
    github.publish(repo, bundle);
    github.hold();
    await page.click('button:text-is("Request verification")');
    await page.waitForSelector('.action-note:text-is("Verification requested: the verifier checks the build attestation shortly.")');
    await page.waitForSelector('#build-verification .verification-queued:has-text("A new check is queued")');
    expect(await page.$('#contract-verification .verification-failed')).not.toBeNull();
    await shot(page, 'verification-queued');
    await expect.poll(() => github.asked.filter((a) => a === `${repo}@${hash}`).length, { timeout: 10_000 }).toBe(2);
    github.release();

    await page.waitForSelector('#contract-verification .verification-verified', { timeout: 15_000 });
    await page.waitForSelector('#build-verification h2 .verification-verified');
    const links = await page.$$eval('#build-verification a', (as) => as.map((a) => [a.textContent, a.getAttribute('href')]));
    expect(links).toEqual([
      [`github:${repo}`, `https://github.com/${repo}`],
      [commit, `https://github.com/${repo}/commit/${commit}`],
      [
        `github.com/${repo}/actions/runs/1234567890/attempts/1`,
        `https://github.com/${repo}/actions/runs/1234567890/attempts/1`,
      ],
    ]);
    expect(await page.textContent('#build-verification .verification-workflow')).toBe(
      `${repo}/.github/workflows/release.yml@refs/tags/v1.0.0`,
    );
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    await shot(page, 'verification-verified');
    await pastCache();
    expect(await verification(id)).toEqual({
      verification: 'VERIFIED',
      buildVerification: { status: 'VERIFIED', reason: null },
    });

    // The WASM's page says the same.
    await page.click(`.facts a[href="/wasm/${hash}"]`);
    await page.waitForSelector('#wasm-verification .verification-verified');
    expect(await page.getAttribute('#build-verification .verification-commit >> xpath=..', 'href')).toBe(
      `https://github.com/${repo}/commit/${commit}`,
    );
  });
});
