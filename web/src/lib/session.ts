// Who is signed in: the token `POST /auth` gave (a JWT), its account and its expiry, kept in
// sessionStorage (this tab, until it closes) and dropped once expired. The GraphQL client sends
// it with every request (lib/client.ts); components read it through `useSession`.
import { useSyncExternalStore } from 'react';

export type Session = {
  /** The JWT, sent as `Authorization: Bearer <token>`. */
  token: string;
  /** The account signed in, a `G…` strkey (the token's `sub`). */
  address: string;
  /** When the token expires (unix seconds, its `exp`). */
  expires: number;
};

const KEY = 'registry.session';

type Listener = () => void;
const listeners = new Set<Listener>();
let current: Session | null = null;
let expiry: ReturnType<typeof setTimeout> | null = null;

/** The claims of a JWT (its middle part), or null when it is not one. */
export function tokenClaims(token: string): { sub?: unknown; exp?: unknown } | null {
  const body = token.split('.')[1];
  if (!body) return null;
  try {
    const json = atob(body.replace(/-/g, '+').replace(/_/g, '/'));
    const claims: unknown = JSON.parse(json);
    return claims && typeof claims === 'object' ? (claims as { sub?: unknown; exp?: unknown }) : null;
  } catch {
    return null;
  }
}

/** The session a token gives, or null when it names no account or expiry. */
export function sessionFromToken(token: string): Session | null {
  const claims = tokenClaims(token);
  if (!claims || typeof claims.sub !== 'string' || typeof claims.exp !== 'number') return null;
  return { token, address: claims.sub, expires: claims.exp };
}

const expired = (s: Session, now = Date.now()) => s.expires * 1000 <= now;

function load(): Session | null {
  try {
    const raw = globalThis.sessionStorage?.getItem(KEY);
    if (!raw) return null;
    const s = JSON.parse(raw) as Partial<Session>;
    if (typeof s.token !== 'string' || typeof s.address !== 'string' || typeof s.expires !== 'number') return null;
    const session = { token: s.token, address: s.address, expires: s.expires };
    if (expired(session)) {
      globalThis.sessionStorage?.removeItem(KEY);
      return null;
    }
    return session;
  } catch {
    return null;
  }
}

/** Signs out when the token expires (timers longer than ~24 days overflow: cap the wait). */
function scheduleExpiry() {
  if (expiry !== null) clearTimeout(expiry);
  expiry = null;
  if (!current) return;
  const wait = Math.min(current.expires * 1000 - Date.now(), 2 ** 31 - 1);
  expiry = setTimeout(() => {
    if (current && expired(current)) setSession(null);
    else scheduleExpiry();
  }, Math.max(0, wait));
}

/** The signed-in session, or null; an expired one is dropped on the way. */
export function getSession(): Session | null {
  if (current && expired(current)) setSession(null);
  return current;
}

/** Signs in (a session) or out (null), and tells every listener. */
export function setSession(next: Session | null) {
  if (next === current) return;
  current = next && !expired(next) ? next : null;
  try {
    if (current) globalThis.sessionStorage?.setItem(KEY, JSON.stringify(current));
    else globalThis.sessionStorage?.removeItem(KEY);
  } catch {
    // Storage refused (private mode, quota): the session lasts as long as the page.
  }
  scheduleExpiry();
  listeners.forEach((l) => l());
}

/** Calls `listener` after each sign-in and sign-out. */
export function subscribeSession(listener: Listener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

/** The `Authorization` header value for the session, or null when signed out. */
export function authorization(): string | null {
  const s = getSession();
  return s ? `Bearer ${s.token}` : null;
}

/** The signed-in session, re-rendering on sign-in and sign-out. */
export function useSession(): Session | null {
  return useSyncExternalStore(subscribeSession, () => current);
}

// The session this tab kept, read once when the page loads.
current = load();
scheduleExpiry();
