import { afterEach, describe, expect, test, vi } from 'vitest';
import { type Signer, SignInError, findSigner, signIn } from './signer';

const ACCOUNT = 'GAAZI4TCR3TY5OJHCTJC2A4QSY6CJWJH5IAJTGKIN2ER7LBNVKOCCWN7';
const PASSPHRASE = 'Standalone Network ; February 2017';
const b64url = (s: string) => btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
const jwt = (sub: string) => `${b64url('{"alg":"HS256"}')}.${b64url(JSON.stringify({ sub, exp: 4_000_000_000 }))}.c2ln`;

const json = (status: number, body: unknown) =>
  new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });

/** A fake /auth: a challenge, then a token for the challenge signed as `signed`. */
function auth(token = jwt(ACCOUNT)) {
  const calls: { url: string; init?: RequestInit }[] = [];
  const fetcher = vi.fn(async (url: string | URL | Request, init?: RequestInit) => {
    calls.push({ url: String(url), init });
    if (init?.method === 'POST') {
      const { transaction } = JSON.parse(String(init.body)) as { transaction: string };
      return transaction === 'challenge+signed' ? json(200, { token }) : json(400, { error: 'the signature does not verify' });
    }
    return json(200, { transaction: 'challenge', network_passphrase: PASSPHRASE });
  });
  return { fetcher: fetcher as unknown as typeof fetch, calls };
}

const signer = (over: Partial<Signer> = {}): Signer => ({
  getAddress: async () => ACCOUNT,
  signTransaction: async (xdr, passphrase) => (passphrase === PASSPHRASE ? `${xdr}+signed` : 'wrong network'),
  ...over,
});

afterEach(() => {
  delete window.registrySigner;
});

describe('sign-in', () => {
  test('asks for a challenge for the account, has it signed for the network, and keeps the token', async () => {
    const { fetcher, calls } = auth();
    const session = await signIn(signer(), fetcher);
    expect(session).toEqual({ token: jwt(ACCOUNT), address: ACCOUNT, expires: 4_000_000_000 });
    expect(calls.map((c) => c.url)).toEqual([`/auth?account=${ACCOUNT}`, '/auth']);
    expect(JSON.parse(String(calls[1]?.init?.body))).toEqual({ transaction: 'challenge+signed' });
  });

  test('each failure says which step failed, in words', async () => {
    const fail = (s: Signer, f = auth().fetcher) => signIn(s, f).then(
      () => 'signed in',
      (e: unknown) => (e instanceof SignInError ? e.message : `not a SignInError: ${String(e)}`),
    );
    expect(await fail(signer({ name: 'Freighter', getAddress: async () => Promise.reject(new Error('User declined access')) }))).toBe(
      'Freighter did not share an account: User declined access',
    );
    expect(await fail(signer({ signTransaction: async () => Promise.reject(new Error('User declined')) }))).toBe(
      'The wallet did not sign: User declined',
    );
    expect(await fail(signer({ getAddress: async () => '<b>nope</b>' }))).toBe(
      'The wallet gave “<b>nope</b>”, not a Stellar account (G…).',
    );
    expect(await fail(signer({ signTransaction: async () => 'forged' }))).toBe(
      'The registry refused the signature: the signature does not verify',
    );
    const down = vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))) as unknown as typeof fetch;
    expect(await fail(signer(), down)).toBe('The registry could not be reached: Failed to fetch');
    const limited = vi.fn(async () => json(429, { error: 'too many sign-in requests: try again later' })) as unknown as typeof fetch;
    expect(await fail(signer(), limited)).toBe('The registry refused the sign-in: too many sign-in requests: try again later');
    expect(await fail(signer(), auth(jwt('GBRPYHIL2CI3FNQ4BXLFMNDLFJUNPU2HY3ZMFSHONUCEOASW7QC7OX2H')).fetcher)).toMatch(
      /^The registry signed in GBRP.*, not GAAZ/,
    );
  });

  test('a signer a page registered is used before any wallet', async () => {
    const mine = signer({ name: 'Test wallet' });
    window.registrySigner = mine;
    expect(await findSigner()).toBe(mine);
  });
});
