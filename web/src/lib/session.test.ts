import { afterEach, describe, expect, test, vi } from 'vitest';
import { authorization, getSession, sessionFromToken, setSession, subscribeSession } from './session';

const ACCOUNT = 'GAAZI4TCR3TY5OJHCTJC2A4QSY6CJWJH5IAJTGKIN2ER7LBNVKOCCWN7';
const b64url = (s: string) => btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');

/** A token shaped like the server's (its signature is not checked here). */
function token(claims: Record<string, unknown>): string {
  return `${b64url('{"alg":"HS256","typ":"JWT"}')}.${b64url(JSON.stringify(claims))}.c2ln`;
}

afterEach(() => {
  setSession(null);
  vi.useRealTimers();
});

describe('session', () => {
  test('a token gives the account and expiry it names; anything else gives none', () => {
    const exp = Math.floor(Date.now() / 1000) + 3600;
    const t = token({ iss: 'x', sub: ACCOUNT, exp, iat: 1, jti: 'ab' });
    expect(sessionFromToken(t)).toEqual({ token: t, address: ACCOUNT, expires: exp });
    expect(sessionFromToken('garbage')).toBeNull();
    expect(sessionFromToken('a.!!!.c')).toBeNull();
    expect(sessionFromToken(token({ sub: ACCOUNT }))).toBeNull();
  });

  test('signing in is kept in sessionStorage, sent as a Bearer token, and told to listeners', () => {
    const heard = vi.fn();
    const stop = subscribeSession(heard);
    const s = { token: 't', address: ACCOUNT, expires: Math.floor(Date.now() / 1000) + 60 };
    setSession(s);
    expect(getSession()).toEqual(s);
    expect(authorization()).toBe('Bearer t');
    expect(JSON.parse(sessionStorage.getItem('registry.session') ?? 'null')).toEqual(s);
    setSession(null);
    expect(authorization()).toBeNull();
    expect(sessionStorage.getItem('registry.session')).toBeNull();
    expect(heard).toHaveBeenCalledTimes(2);
    stop();
  });

  test('an expired token is dropped, when read and when its time comes', async () => {
    vi.useFakeTimers();
    const now = Math.floor(Date.now() / 1000);
    setSession({ token: 'old', address: ACCOUNT, expires: now - 1 });
    expect(getSession()).toBeNull();
    const heard = vi.fn();
    const stop = subscribeSession(heard);
    setSession({ token: 't', address: ACCOUNT, expires: now + 30 });
    expect(getSession()?.token).toBe('t');
    await vi.advanceTimersByTimeAsync(31_000);
    expect(getSession()).toBeNull();
    expect(sessionStorage.getItem('registry.session')).toBeNull();
    expect(heard).toHaveBeenCalledTimes(2);
    stop();
  });

  test('a page opened later in the tab finds the session; an expired one is forgotten', async () => {
    const s = { token: 't', address: ACCOUNT, expires: Math.floor(Date.now() / 1000) + 60 };
    sessionStorage.setItem('registry.session', JSON.stringify(s));
    vi.resetModules();
    expect((await import('./session')).getSession()).toEqual(s);
    sessionStorage.setItem('registry.session', JSON.stringify({ ...s, expires: 1 }));
    vi.resetModules();
    expect((await import('./session')).getSession()).toBeNull();
    expect(sessionStorage.getItem('registry.session')).toBeNull();
  });
});
