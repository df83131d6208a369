// Sign-in with a Stellar account (SEP-10): the server's challenge transaction, signed by the
// account's wallet, exchanged for a token. The wallet is pluggable:
//
// - a signer a page script registered as `window.registrySigner` (the hook for any wallet the
//   explorer does not know, and what the end-to-end tests install):
//
//     window.registrySigner = {
//       name: 'My wallet',                                   // optional, shown in messages
//       getAddress: () => Promise<string>,                   // the G… account to sign in as
//       signTransaction: (xdr, networkPassphrase) => Promise<string>, // the signed envelope
//     };
//
// - else Freighter (freighter.app), through @stellar/freighter-api, loaded only when used.
import { endpoints } from './api';
import { sessionFromToken, type Session } from './session';

/** A wallet that can sign the challenge. */
export interface Signer {
  /** For messages: "Freighter". */
  name?: string;
  /** The account to sign in as (`G…`); asks the person for access when needed. */
  getAddress(): Promise<string>;
  /** The challenge (base64 transaction envelope XDR) with the account's signature added. */
  signTransaction(xdr: string, networkPassphrase: string): Promise<string>;
}

declare global {
  interface Window {
    /** A signer a page script registered (see lib/signer.ts). */
    registrySigner?: Signer;
  }
}

/** A sign-in that did not happen, with a message for the person. */
export class SignInError extends Error {}

function message(e: unknown): string {
  if (e && typeof e === 'object' && 'message' in e && typeof e.message === 'string' && e.message) return e.message;
  return typeof e === 'string' && e ? e : 'unknown error';
}

/** Freighter's answer, or a SignInError saying what it refused. */
function freighterResult<T extends { error?: { message?: string } | string }>(what: string, r: T): T {
  if (r.error) {
    const reason = typeof r.error === 'string' ? r.error : (r.error.message ?? 'refused');
    throw new SignInError(`Freighter did not ${what}: ${reason}`);
  }
  return r;
}

/** Freighter, when its extension is installed; null when it is not. */
async function freighter(): Promise<Signer | null> {
  const api = await import('@stellar/freighter-api');
  const { isConnected } = await api.isConnected();
  if (!isConnected) return null;
  let address = '';
  return {
    name: 'Freighter',
    async getAddress() {
      const r = freighterResult('share your account', await api.requestAccess());
      address = r.address;
      return address;
    },
    async signTransaction(xdr, networkPassphrase) {
      const r = freighterResult('sign', await api.signTransaction(xdr, { networkPassphrase, address }));
      return r.signedTxXdr;
    },
  };
}

/** The signer to use: a registered one first, else Freighter; a SignInError without any. */
export async function findSigner(): Promise<Signer> {
  if (window.registrySigner) return window.registrySigner;
  const found = await freighter().catch(() => null);
  if (found) return found;
  throw new SignInError(
    'No Stellar wallet found: install the Freighter extension (freighter.app) and reload, or register another wallet as window.registrySigner.',
  );
}

/** The JSON body of an /auth answer; its `error` (SEP-10's shape) as a SignInError. */
async function authAnswer<T>(res: Response, step: string): Promise<T> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON: said below by the status.
  }
  const error = body && typeof body === 'object' && 'error' in body ? String(body.error) : null;
  if (!res.ok || error) {
    throw new SignInError(`The registry refused the ${step}: ${error ?? `HTTP ${res.status}`}`);
  }
  return body as T;
}

/**
 * Signs in with `signer`: asks `/auth` (on the API's server, `auth`) for a challenge for its
 * account, has the signer sign it, and exchanges it for a token. Every failure is a SignInError
 * that says which step failed.
 */
export async function signIn(
  signer: Signer,
  fetcher: typeof fetch = fetch,
  auth: string = endpoints().auth,
): Promise<Session> {
  const who = signer.name ?? 'The wallet';
  let address: string;
  try {
    address = (await signer.getAddress()).trim();
  } catch (e) {
    throw e instanceof SignInError ? e : new SignInError(`${who} did not share an account: ${message(e)}`);
  }
  if (!/^G[A-Z2-7]{55}$/.test(address)) {
    throw new SignInError(`${who} gave “${address.slice(0, 60)}”, not a Stellar account (G…).`);
  }
  let res: Response;
  try {
    res = await fetcher(`${auth}?account=${encodeURIComponent(address)}`, { headers: { accept: 'application/json' } });
  } catch (e) {
    throw new SignInError(`The registry could not be reached: ${message(e)}`);
  }
  const challenge = await authAnswer<{ transaction?: string; network_passphrase?: string }>(res, 'sign-in');
  if (!challenge.transaction || !challenge.network_passphrase) {
    throw new SignInError('The registry sent no challenge to sign.');
  }
  let signed: string;
  try {
    signed = await signer.signTransaction(challenge.transaction, challenge.network_passphrase);
  } catch (e) {
    throw e instanceof SignInError ? e : new SignInError(`${who} did not sign: ${message(e)}`);
  }
  try {
    res = await fetcher(auth, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ transaction: signed }),
    });
  } catch (e) {
    throw new SignInError(`The registry could not be reached: ${message(e)}`);
  }
  const { token } = await authAnswer<{ token?: string }>(res, 'signature');
  const session = token ? sessionFromToken(token) : null;
  if (!session) throw new SignInError('The registry answered no usable token.');
  if (session.address !== address) {
    throw new SignInError(`The registry signed in ${session.address}, not ${address}.`);
  }
  return session;
}
