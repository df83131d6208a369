// The explorer in real headless Chromium against the real server on seeded data. Every figure
// the page shows is compared with what the API answers for the same question. Screenshots of the
// main pages land in web/test-results/.
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { admin, api, apiUrl, base, binDir, databaseUrl, launch, pastCache, results, shot, sql } from './helpers';

const run = promisify(execFile);

const JS_BUDGET_BYTES = 200 * 1024;
const LCP_BUDGET_MS = 1000;

let browser: Browser;
const open: { ctx: BrowserContext; errors: string[] }[] = [];

beforeAll(async () => {
  browser = await launch();
});

afterAll(async () => {
  // No page logged an error (a Content-Security-Policy violation would be one).
  const errors = open.flatMap((o) => o.errors);
  await browser?.close();
  expect(errors).toEqual([]);
});

async function newPage(width = 1280, height = 900): Promise<Page> {
  const ctx = await browser.newContext({ viewport: { width, height } });
  const errors: string[] = [];
  open.push({ ctx, errors });
  const page = await ctx.newPage();
  page.on('pageerror', (e) => errors.push(`${page.url()}: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`${page.url()}: ${m.text()}`);
  });
  return page;
}

/** The contract ids a list on the page links to, in order. */
async function listedIds(page: Page, scope = 'main'): Promise<string[]> {
  return page.$$eval(`${scope} a.contract-link`, (links) =>
    links.map((a) => decodeURIComponent((a as HTMLAnchorElement).pathname.split('/').pop() ?? '')),
  );
}

describe('home', () => {
  test('shows the network figures, the deployments chart and the newest contracts; reports its budgets', async () => {
    const page = await newPage();
    const scripts: Promise<number>[] = [];
    page.on('response', (r) => {
      if (r.request().resourceType() === 'script') scripts.push(r.body().then((b) => gzipSync(b).length));
    });
    await page.goto(`${base}/?network=mainnet`);
    await page.waitForSelector('.figure dd');
    await page.waitForSelector('#live-list tbody tr');
    await page.waitForSelector('.chart-canvas canvas');

    const { analytics, contracts } = await api<{
      analytics: { networkSummary: { contracts: number; wasms: number } };
      contracts: { nodes: { contractId: string }[] };
    }>(`{ analytics { networkSummary(network: MAINNET) { contracts wasms } }
          contracts(first: 10, filter: { network: MAINNET }) { nodes { contractId } } }`);
    const figures = await page.$$eval('.figure', (els) =>
      Object.fromEntries(els.map((e) => [e.querySelector('dt')?.textContent, e.querySelector('dd')?.textContent])),
    );
    expect(figures.Contracts).toBe(analytics.networkSummary.contracts.toLocaleString('en-US'));
    expect(figures['WASM codes']).toBe(analytics.networkSummary.wasms.toLocaleString('en-US'));
    expect(await listedIds(page, '#live-list')).toEqual(contracts.nodes.map((n) => n.contractId));
    await shot(page, 'home');

    // Budgets: JavaScript of the first page (gzipped), largest contentful paint.
    const lcp = await page.evaluate(
      () =>
        new Promise<number>((resolve) => {
          new PerformanceObserver((list) => {
            const entries = list.getEntries();
            resolve(entries[entries.length - 1]?.startTime ?? -1);
          }).observe({ type: 'largest-contentful-paint', buffered: true });
        }),
    );
    const jsBytes = (await Promise.all(scripts)).reduce((a, b) => a + b, 0);
    const line = `budget: first-page JavaScript ${(jsBytes / 1024).toFixed(1)} KB gzipped (limit ${JS_BUDGET_BYTES / 1024} KB); largest contentful paint ${lcp.toFixed(0)} ms (limit ${LCP_BUDGET_MS} ms)`;
    console.log(line);
    writeFileSync(join(results, 'budgets.json'), JSON.stringify({ jsGzipBytes: jsBytes, lcpMs: lcp }, null, 2));
    expect(lcp).toBeGreaterThan(0);
    expect(jsBytes).toBeGreaterThan(0);
    // Bytes are deterministic and asserted; the paint is a timing, printed for the record.
    expect(jsBytes).toBeLessThan(JS_BUDGET_BYTES);
  });

  test('a new deployment appears in the live list without a reload', async () => {
    const page = await newPage();
    const subscribed = new Promise<void>((resolve) => {
      page.on('websocket', (ws) =>
        ws.on('framesent', (f) => {
          if (typeof f.payload === 'string' && f.payload.includes('"subscribe"')) resolve();
        }),
      );
    });
    // Testnet: no other test's page subscribes there, so the server's count of running shared
    // subscriptions rises by one once this page's subscription is registered.
    const groups = async () =>
      Number(
        (await (await fetch(`${admin}/metrics`)).text()).match(/^registry_server_feed_shared_groups (\S+)$/m)?.[1] ?? 0,
      );
    const groupsBefore = await groups();
    await page.goto(`${base}/?network=testnet`);
    await page.waitForSelector('#live-list tbody tr');
    await subscribed;
    await expect.poll(groups, { timeout: 10_000 }).toBe(groupsBefore + 1);
    const before = await page.$eval('.figure dd', (e) => Number(e.textContent?.replace(/,/g, '')));
    await page.evaluate(() => {
      (window as unknown as { notReloaded: boolean }).notReloaded = true;
    });
    const { stdout } = await run(join(binDir, 'registry-seed'), ['--deploy', '1', '--network', 'testnet'], {
      env: { ...process.env, DATABASE_URL: databaseUrl },
    });
    const id = stdout.trim();
    expect(id).toMatch(/^C[A-Z2-7]{55}$/);
    await page.waitForSelector(`#live-list a.contract-link[href$="${id}"]`, { timeout: 15_000 });
    expect((await listedIds(page, '#live-list'))[0]).toBe(id);
    expect(await page.evaluate(() => (window as unknown as { notReloaded?: boolean }).notReloaded)).toBe(true);
    // The figures follow.
    await page.waitForFunction(
      (n) => Number(document.querySelector('.figure dd')?.textContent?.replace(/,/g, '')) === n,
      before + 1,
      { timeout: 15_000 },
    );
  });

  test("opens on the network being indexed, and says what each network's indexer is doing", async () => {
    // Futurenet's indexer wrote last, and cannot reach its RPC; testnet's follows its network.
    // (The seeder writes cursors, not states.)
    sql(`INSERT INTO indexer_states (network, state, rpc_url, detail, since, updated_at) VALUES
           ('testnet', 'following', 'https://soroban-testnet.stellar.org', NULL, now() - interval '1 hour', now() - interval '1 minute'),
           ('futurenet', 'rpc_unreachable', 'http://127.0.0.1:9/rpc', 'error sending request: connection refused',
            now() - interval '5 minutes', now())
         ON CONFLICT (network) DO UPDATE SET state = EXCLUDED.state, rpc_url = EXCLUDED.rpc_url,
           detail = EXCLUDED.detail, since = EXCLUDED.since, updated_at = EXCLUDED.updated_at;`);
    await pastCache();
    const { analytics } = await api<{
      analytics: { indexerStatus: { network: string; state: string; lagLedgers: number | null }[] };
    }>(`{ analytics { indexerStatus { network state lagLedgers } } }`);
    expect(analytics.indexerStatus[0]).toMatchObject({ network: 'FUTURENET', state: 'RPC_UNREACHABLE' });
    const testnet = analytics.indexerStatus.find((s) => s.network === 'TESTNET');
    expect(testnet?.state).toBe('FOLLOWING');
    expect(analytics.indexerStatus.some((s) => s.network === 'LOCAL')).toBe(false);

    // A first visit (nothing remembered, no network in the URL) opens on futurenet.
    const page = await newPage();
    await page.goto(`${base}/`);
    await page.waitForSelector('#indexer-status');
    expect(await page.textContent('h1')).toBe('Futurenet');
    expect(await page.inputValue('.network-switch select')).toBe('FUTURENET');
    expect(await page.textContent('#indexer-status .indexer-state')).toContain(
      'The indexer cannot reach the Stellar RPC at http://127.0.0.1:9/rpc and is retrying.',
    );
    expect(await page.textContent('#indexer-status .indexer-detail')).toBe('error sending request: connection refused');
    expect(await page.textContent('#indexer-status .indexer-hint')).toMatch(/make demo.*make seed/);
    await shot(page, 'home-indexer');

    await page.selectOption('.network-switch select', 'TESTNET');
    await page.waitForURL(/network=testnet/);
    const behind = testnet?.lagLedgers ?? 0;
    await page.waitForSelector(
      `#indexer-status .indexer-state:text-is("The indexer is following Testnet, ${behind.toLocaleString('en-US')} ${behind === 1 ? 'ledger' : 'ledgers'} behind.")`,
    );
    expect(await page.$('#indexer-status .indexer-hint')).toBeNull();

    await page.selectOption('.network-switch select', 'LOCAL');
    await page.waitForURL(/network=local/);
    await page.waitForSelector('#indexer-status .indexer-state:text-is("Nothing has been indexed on Local yet.")');
    expect(await page.textContent('#indexer-status .indexer-hint')).toContain('make seed');
  });
});

describe('contracts', () => {
  test('search from the header lists the matching contracts', async () => {
    const page = await newPage();
    await page.goto(`${base}/?network=mainnet`);
    await page.fill('#search-q', 'token');
    await page.press('#search-q', 'Enter');
    await page.waitForURL(/\/contracts\?network=mainnet&q=token$/);
    await page.waitForSelector('.count');
    const { contracts } = await api<{ contracts: { totalCount: number; nodes: { contractId: string }[] } }>(
      `{ contracts(first: 20, filter: { network: MAINNET, search: "token" }, orderBy: RELEVANCE) { totalCount nodes { contractId } } }`,
    );
    expect(contracts.totalCount).toBeGreaterThan(0);
    expect(await page.textContent('.count')).toContain(contracts.totalCount.toLocaleString('en-US'));
    expect(await listedIds(page)).toEqual(contracts.nodes.map((n) => n.contractId));
    expect(await page.textContent('h1')).toBe('Contracts matching “token”');
    await shot(page, 'search');
  });

  test('filters live in the URL, and the back button undoes them', async () => {
    const page = await newPage();
    await page.goto(`${base}/contracts?network=mainnet`);
    await page.waitForSelector('.count');
    const count = async (filter: string) =>
      (await api<{ contracts: { totalCount: number } }>(`{ contracts(filter: ${filter}) { totalCount } }`)).contracts
        .totalCount;
    /** Waits until the page shows `n` results and no longer updates. */
    const shows = (n: number) =>
      page.waitForFunction(
        (text) => document.querySelector('.count')?.textContent === text,
        `${n.toLocaleString('en-US')} ${n === 1 ? 'contract' : 'contracts'}`,
      );
    await page.selectOption('select[name=kind]', 'STELLAR_ASSET');
    await page.waitForURL(/kind=STELLAR_ASSET/);
    await shows(await count('{ network: MAINNET, kind: STELLAR_ASSET }'));
    const kinds = await page.$$eval('td.kind', (tds) => [...new Set(tds.map((t) => t.textContent))]);
    expect(kinds).toEqual(['Stellar asset']);

    await page.fill('input[name=fn]', 'transfer');
    await page.click('.filters button[type=submit]');
    await page.waitForURL(/fn=transfer/);
    await shows(await count('{ network: MAINNET, kind: STELLAR_ASSET, implementsFunction: "transfer" }'));

    // A shared link reproduces the view.
    const link = page.url();
    const other = await newPage();
    await other.goto(link);
    await other.waitForSelector('.count');
    await expect.poll(() => other.inputValue('select[name=kind]')).toBe('STELLAR_ASSET');
    await expect.poll(() => other.inputValue('input[name=fn]')).toBe('transfer');

    await page.goBack();
    await page.waitForURL((u) => !u.search.includes('fn='));
    await expect.poll(() => page.inputValue('input[name=fn]')).toBe('');
    await expect.poll(() => page.inputValue('select[name=kind]')).toBe('STELLAR_ASSET');
    await page.goBack();
    await page.waitForURL((u) => !u.search.includes('kind='));
    await expect.poll(() => page.inputValue('select[name=kind]')).toBe('');
    await shot(page, 'contracts');
  });

  test('pages forward and back by cursor, and a page URL can be reloaded', async () => {
    const page = await newPage();
    await page.goto(`${base}/contracts?network=testnet`);
    await page.waitForSelector('main a.contract-link');
    const first = await listedIds(page);
    const q = `query ($after: String) { contracts(first: 20, after: $after, filter: { network: TESTNET }) {
      pageInfo { endCursor } nodes { contractId } } }`;
    const p1 = await api<{ contracts: { pageInfo: { endCursor: string }; nodes: { contractId: string }[] } }>(q);
    expect(first).toEqual(p1.contracts.nodes.map((n) => n.contractId));
    const p2 = await api<{ contracts: { nodes: { contractId: string }[] } }>(q, { after: p1.contracts.pageInfo.endCursor });

    await page.click('a[rel=next]');
    await page.waitForURL(/after=/);
    await page.waitForFunction((id) => !document.querySelector(`main a.contract-link[href$="${id}"]`), first[0]);
    expect(await listedIds(page)).toEqual(p2.contracts.nodes.map((n) => n.contractId));

    await page.reload();
    await page.waitForSelector('main a.contract-link');
    expect(await listedIds(page)).toEqual(p2.contracts.nodes.map((n) => n.contractId));

    await page.click('a[rel=prev]');
    await page.waitForURL(/before=/);
    await page.waitForFunction((id) => !!document.querySelector(`main a.contract-link[href$="${id}"]`), first[0]);
    expect(await listedIds(page)).toEqual(first);
  });
});

interface AbiContract {
  contractId: string;
  wasmHash: string;
  tags: { name: string }[];
  publisher: { address: string } | null;
  abi: {
    structs: { name: string }[];
    unions: { name: string }[];
    functions: { name: string; inputs: { type: { display: string } }[] }[];
  };
}

/** A mainnet contract whose functions take one of its own types, and has a publisher and tags. */
async function contractWithTypes(): Promise<AbiContract> {
  const { contracts } = await api<{ contracts: { nodes: (AbiContract | { abi: null })[] } }>(`{
    contracts(first: 100, filter: { network: MAINNET, kind: WASM }) { nodes {
      contractId wasmHash tags { name } publisher { address }
      abi { structs { name } unions { name } functions { name inputs { type { display } } } } } } }`);
  const found = contracts.nodes.find((c): c is AbiContract => {
    if (!c.abi || !('publisher' in c) || !c.publisher || c.tags.length === 0) return false;
    const names = [...c.abi.structs, ...c.abi.unions].map((t) => t.name);
    return c.abi.functions.some((f) => f.inputs.some((i) => names.some((n) => i.type.display.includes(n))));
  });
  if (!found) throw new Error('the seeded data has no contract with user types, a publisher and tags');
  return found;
}

describe('contract', () => {
  test('shows the ABI as signatures, and a type link leads to its definition', async () => {
    const c = await contractWithTypes();
    const page = await newPage();
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write'], { origin: base });
    await page.goto(`${base}/contracts/mainnet/${c.contractId}`);
    await page.waitForSelector('.function');
    expect(await page.textContent('#contract-address')).toBe(c.contractId);
    const signatures = await page.$$eval('.function .signature', (els) => els.map((e) => e.textContent));
    expect(signatures).toHaveLength(c.abi.functions.length);
    for (const [i, f] of c.abi.functions.entries()) {
      expect(signatures[i]).toMatch(new RegExp(`^fn ${f.name}\\(`));
    }
    await shot(page, 'contract');

    const link = page.locator('.signature a.type-link').first();
    const target = (await link.getAttribute('href')) ?? '';
    expect(target).toMatch(/^#type-/);
    // Keyboard: focus the link and follow it with Enter.
    await link.focus();
    await page.keyboard.press('Enter');
    await page.waitForURL((u) => u.hash === target);
    const shown = await page.$eval(target, (el) => {
      const r = el.getBoundingClientRect();
      return r.top >= 0 && r.top < window.innerHeight && el.matches(':target');
    });
    expect(shown).toBe(true);
    expect(await page.textContent(`${target} h4`)).toContain(target.slice('#type-'.length));

    await page.click('button.copy');
    await page.waitForSelector('button.copy:has-text("Copied")');
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(c.contractId);
  });

  test('links to its WASM, publisher and tag pages', async () => {
    const c = await contractWithTypes();
    const page = await newPage();
    await page.goto(`${base}/contracts/mainnet/${c.contractId}`);
    await page.waitForSelector('.function');

    await page.click(`.facts a[href="/wasm/${c.wasmHash}"]`);
    await page.waitForSelector('h1:text-is("WASM")');
    await page.waitForSelector(`main a.contract-link[href$="${c.contractId}"]`);
    await shot(page, 'wasm');

    await page.goBack();
    await page.waitForSelector('.facts');
    await page.click(`.facts a[href^="/publishers/"]`);
    await page.waitForURL(new RegExp(`/publishers/${c.publisher?.address}$`));
    await page.waitForSelector(`main a.contract-link[href$="${c.contractId}"]`);
    await shot(page, 'publisher');

    await page.goBack();
    await page.waitForSelector('.facts');
    const tag = c.tags[0]?.name ?? '';
    await page.click(`main .tags a:text-is("${tag}")`);
    await page.waitForSelector('.tag-title');
    const { tag: counted } = await api<{ tag: { contractCount: number } }>(
      `query ($name: String!) { tag(name: $name) { contractCount } }`,
      { name: tag },
    );
    expect(await page.textContent('main article > p')).toContain(
      `${counted.contractCount.toLocaleString('en-US')} contract`,
    );
    await shot(page, 'tag');
  });

  test("an asset contract shows its asset and issuer; a contract's versions show their kind", async () => {
    const issuer = 'GA5ZSEJYB37JRC5AVCIA5MOP4RHTM335X2KGX3IHOJAPP5RE34K4KZVN';
    const { assets } = await api<{ assets: { nodes: { contractId: string; name: string | null }[] } }>(
      `{ assets: contracts(first: 1, filter: { network: MAINNET, kind: STELLAR_ASSET }) { nodes { contractId name } } }`,
    );
    const asset = assets.nodes[0]?.contractId ?? '';
    // The seeder names an asset contract by its code.
    const code = /^[A-Za-z0-9]{1,12}$/.test(assets.nodes[0]?.name ?? '') ? (assets.nodes[0]?.name ?? '') : 'USDC';
    // A WASM contract deployed before the indexed history: its first row is the code it ran
    // when first seen. The seeder writes neither assets nor observed rows.
    const { wasms } = await api<{ wasms: { nodes: { contractId: string; versions: unknown[] }[] } }>(
      `{ wasms: contracts(first: 100, filter: { network: MAINNET, kind: WASM }) { nodes { contractId versions { ledger } } } }`,
    );
    const upgraded = wasms.nodes.find((n) => n.versions.length >= 2)?.contractId ?? '';
    expect(asset).not.toBe('');
    expect(upgraded).not.toBe('');
    sql(
      `UPDATE contracts SET asset_code = :'code', asset_issuer = :'issuer' WHERE contract_id = :'asset';
       UPDATE contracts SET registered_name = 'e2e-swap' WHERE contract_id = :'upgraded';
       UPDATE contract_versions SET kind = 'observed', tx_hash = NULL, tx_index = 0, op_index = 0
        WHERE pk = (SELECT v.pk FROM contract_versions v JOIN contracts c ON c.pk = v.contract_pk
                    WHERE c.contract_id = :'upgraded' ORDER BY v.ledger, v.tx_index, v.op_index LIMIT 1);`,
      { code, issuer, asset, upgraded },
    );
    await pastCache();

    const page = await newPage();
    await page.goto(`${base}/contracts/mainnet/${asset}`);
    await page.waitForSelector('#contract-asset');
    expect(await page.textContent('#contract-asset .asset-code')).toBe(code);
    // The whole issuer, not a shortened one: it is what tells the real asset from a look-alike.
    expect(await page.textContent('#contract-asset .asset-issuer')).toBe(issuer);
    expect(await page.$$eval('.facts .sep', (els) => els.map((e) => e.textContent))).toEqual(['SEP-41']);
    await shot(page, 'contract-asset');

    const { contract } = await api<{
      contract: {
        versions: {
          kind: string;
          ledger: number;
          abiChanges: { breaking: boolean; changes: { name: string; severity: string }[] } | null;
        }[];
        registeredName: string | null;
      };
    }>(
      `query ($id: String!) { contract(network: MAINNET, contractId: $id) { registeredName
         versions { kind ledger abiChanges { breaking changes { name severity } } } } }`,
      { id: upgraded },
    );
    expect(contract.registeredName).toBe('e2e-swap');
    expect(contract.versions[0]?.kind).toBe('OBSERVED');
    await page.goto(`${base}/contracts/mainnet/${upgraded}`);
    await page.waitForSelector('table.versions tbody tr');
    expect(await page.textContent('.facts .registered-name')).toBe('e2e-swap');
    const kinds = await page.$$eval('table.versions .version-kind', (els) => els.map((e) => e.textContent));
    expect(kinds).toEqual(contract.versions.map((v) => v.kind.toLowerCase()));
    const first = await page.textContent('table.versions tbody tr:first-child td:nth-child(3)');
    expect(first).toMatch(new RegExp(`^observed at ledger ${(contract.versions[0]?.ledger ?? 0).toLocaleString('en-US')}: running `));
    expect(await page.textContent('table.versions tbody tr:nth-child(2) td:nth-child(3)')).toMatch(/^upgraded /);
    // The upgrade's interface changes, the breaking ones marked, as the API gives them.
    const diff = contract.versions[1]?.abiChanges;
    expect(diff).not.toBeNull();
    const row = 'table.versions tbody tr:nth-child(2) .abi-changes';
    const breaking = diff?.changes.filter((c) => c.severity === 'BREAKING').length ?? 0;
    if (diff && diff.changes.length > 0) {
      expect(await page.textContent(`${row} summary`)).toContain(`${diff.changes.length} interface change`);
      expect((await page.$$(`${row} .change-breaking-mark`)).length).toBe(diff.breaking ? 1 : 0);
      await page.click(`${row} summary`);
      const items = await page.$$eval(`${row} li`, (els) =>
        els.map((e) => [e.className, e.querySelector('code')?.textContent ?? '']),
      );
      expect(items.map(([, name]) => name)).toEqual(diff.changes.map((c) => c.name));
      expect(items.filter(([cls]) => cls === 'change-breaking').length).toBe(breaking);
    } else {
      expect(await page.textContent(row)).toBe('No interface change');
    }
    expect(await page.textContent('.versions-note')).toContain('deployed before');
    await shot(page, 'contract-versions');
  });

  test('an unknown contract or path gets the not-found page', async () => {
    const { contracts } = await api<{ contracts: { nodes: { contractId: string }[] } }>(
      `{ contracts(first: 1, filter: { network: MAINNET }) { nodes { contractId } } }`,
    );
    const mainnetOnly = contracts.nodes[0]?.contractId ?? '';
    const page = await newPage();
    // A real address on a network where it does not exist.
    await page.goto(`${base}/contracts/futurenet/${mainnetOnly}`);
    await page.waitForSelector('h1:text-is("Not found")');
    expect(await page.textContent('main')).toContain(mainnetOnly);
    await shot(page, 'not-found');
    // A malformed address says why.
    await page.goto(`${base}/contracts/mainnet/C${'A'.repeat(55)}`);
    await page.waitForSelector('h1:text-is("Not found")');
    expect(await page.textContent('main')).toContain('checksum');
    await page.goto(`${base}/no/such/page`);
    await page.waitForSelector('h1:text-is("Not found")');
  });

  test('strings from contracts are shown as text, never as HTML', async () => {
    const c = await contractWithTypes();
    const hostile = '<img src=x onerror="window.pwned=1"><b>bold</b>';
    // psql quotes the values (:'h'), so the markup reaches the database unchanged.
    sql(`UPDATE contracts SET name = :'h', description = :'h' WHERE contract_id = :'id';`, { h: hostile, id: c.contractId });
    const page = await newPage();
    await pastCache();
    await page.goto(`${base}/contracts/mainnet/${c.contractId}`);
    await page.waitForSelector('.function');
    expect(await page.textContent('h1')).toBe(hostile);
    expect(await page.textContent('.description')).toBe(hostile);
    expect(await page.$$('main img, main b')).toHaveLength(0);
    expect(await page.evaluate(() => (window as unknown as { pwned?: number }).pwned)).toBeUndefined();
  });
});

describe('states', () => {
  test('a search without matches says so', async () => {
    const page = await newPage();
    await page.goto(`${base}/contracts?network=mainnet&q=zzqxjvw`);
    await page.waitForSelector('text=No contract matches these filters.');
    expect(await page.textContent('.count')).toBe('0 contracts');
  });

  test('when the API cannot be reached, the page says so and offers a retry', async () => {
    const page = await newPage();
    await page.route('**/graphql', (route) => route.abort('connectionrefused'));
    await page.goto(`${base}/contracts?network=mainnet`);
    const alert = await page.waitForSelector('[role=alert]');
    expect(await alert.textContent()).toContain('Could not load contracts: the registry could not be reached');
    await page.unroute('**/graphql');
    await page.click('[role=alert] button:text-is("Try again")');
    await page.waitForSelector('main a.contract-link');
    // The failed requests were logged by the browser; they are this test's doing.
    const mine = open[open.length - 1];
    if (mine) mine.errors.length = 0;
  });
});

describe('accessibility and small screens', () => {
  test('the first Tab reaches the skip link, which moves to the content', async () => {
    const page = await newPage();
    await page.goto(`${base}/?network=mainnet`);
    await page.waitForSelector('.figure dd');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.textContent)).toBe('Skip to content');
    await page.keyboard.press('Enter');
    await page.waitForURL(/#main$/);
    // Focus moved past the header: the next Tab goes into the content, not to the brand link.
    await expect.poll(() => page.evaluate(() => document.activeElement?.id)).toBe('main');
    await page.keyboard.press('Tab');
    expect(await page.evaluate(() => document.activeElement?.closest('main') !== null)).toBe(true);
  });

  test('pages are readable at 375 px wide, without sideways scrolling', async () => {
    const c = await contractWithTypes();
    const page = await newPage(375, 812);
    for (const [name, path, ready] of [
      ['home-375', '/?network=mainnet', '#live-list tbody tr'],
      ['contracts-375', '/contracts?network=mainnet', 'main a.contract-link'],
      ['contract-375', `/contracts/mainnet/${c.contractId}`, '.function'],
    ] as const) {
      await page.goto(`${base}${path}`);
      await page.waitForSelector(ready);
      const width = await page.evaluate(() => document.documentElement.scrollWidth);
      expect(width, name).toBeLessThanOrEqual(375);
      await shot(page, name);
    }
  });
});

describe('GraphiQL', () => {
  test('loads from the server itself under its policy and runs a query', async () => {
    // GraphiQL sends documents as text: the server that runs any document serves it.
    const page = await newPage();
    const foreign: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(apiUrl) && !r.url().startsWith('data:')) foreign.push(r.url());
    });
    const res = await page.goto(`${apiUrl}/graphql`);
    expect(res?.headers()['content-security-policy']).toContain("script-src 'self'");
    await page.waitForSelector('.graphiql-container');
    // The editor fills in its default query once it has loaded; a click before that runs
    // nothing, so the query is sent again until an answer shows.
    await page.waitForFunction(() =>
      document.querySelector('.graphiql-query-editor')?.textContent?.includes('contractId'),
    );
    await expect
      .poll(
        async () => {
          const text = (await page.textContent('.graphiql-response')) ?? '';
          if (!text.includes('contractId')) await page.click('.graphiql-execute-button');
          return text;
        },
        { timeout: 30_000, interval: 1500 },
      )
      .toContain('contractId');
    // Every script, style and font came from this server (no CDN); a CSP violation would
    // have been logged as an error, which afterAll checks.
    expect(foreign).toEqual([]);
    await shot(page, 'graphiql');
  });
});

describe('trusted documents', () => {
  test('the explorer sends ids, never document text, and its server runs nothing else', async () => {
    const page = await newPage();
    const bodies: string[] = [];
    const frames: string[] = [];
    page.on('request', (r) => {
      if (r.url().endsWith('/graphql') && r.method() === 'POST') bodies.push(r.postData() ?? '');
    });
    page.on('websocket', (ws) =>
      ws.on('framesent', (f) => {
        if (typeof f.payload === 'string' && f.payload.includes('"subscribe"')) frames.push(f.payload);
      }),
    );
    await page.goto(`${base}/?network=mainnet`);
    await page.waitForSelector('#live-list tbody tr');
    await page.goto(`${base}/contracts?network=mainnet`);
    await page.waitForSelector('main a.contract-link');
    await expect.poll(() => frames.length).toBeGreaterThan(0);
    expect(bodies.length).toBeGreaterThan(0);
    for (const sent of [...bodies, ...frames]) {
      const parsed = JSON.parse(sent) as { payload?: Record<string, unknown> } & Record<string, unknown>;
      const request = parsed.payload ?? parsed;
      expect(request.query ?? '', sent).toBe('');
      expect(JSON.stringify(request.extensions), sent).toMatch(/"sha256Hash":"[0-9a-f]{64}"/);
    }
    // Its server refuses a document it does not know, sent as text.
    const res = await fetch(`${base}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ tags { name } }' }),
    });
    const body = (await res.json()) as { errors?: { extensions?: { code?: string } }[] };
    expect(body.errors?.[0]?.extensions?.code).toBe('PERSISTED_QUERY_NOT_FOUND');
  });
});
