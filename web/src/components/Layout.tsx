// The frame of every page: skip link, header (home, contracts, network, search), main, footer.
import { useEffect, useRef, useState } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate, useSearchParams } from 'react-router';
import type { Network } from '../gql/graphql';
import { ErrorBoundary } from './ErrorBoundary';
import {
  NETWORKS,
  networkLabel,
  networkSlug,
  parseNetwork,
  rememberNetwork,
  rememberedNetwork,
} from '../lib/network';

/** The network the page shows: `?network=` when given, else the visitor's last choice. */
export function useNetwork(): Network {
  const [params] = useSearchParams();
  return parseNetwork(params.get('network')) ?? rememberedNetwork();
}

function NetworkSwitcher() {
  const network = useNetwork();
  const location = useLocation();
  const navigate = useNavigate();
  const change = (next: Network) => {
    rememberNetwork(next);
    // Lists and the home page follow the switch; other pages belong to one network.
    const here = location.pathname === '/' || location.pathname === '/contracts' || location.pathname.startsWith('/tags/');
    const params = new URLSearchParams(here ? location.search : '');
    params.set('network', networkSlug(next));
    params.delete('after');
    params.delete('before');
    navigate(`${here ? location.pathname : '/'}?${params}`);
  };
  return (
    <label className="network-switch">
      <span className="visually-hidden">Network</span>
      <select value={network} onChange={(e) => change(e.target.value as Network)}>
        {NETWORKS.map((n) => (
          <option key={n} value={n}>
            {networkLabel(n)}
          </option>
        ))}
      </select>
    </label>
  );
}

function SearchBox() {
  const navigate = useNavigate();
  const network = useNetwork();
  const [params] = useSearchParams();
  const location = useLocation();
  const [q, setQ] = useState(location.pathname === '/contracts' ? (params.get('q') ?? '') : '');
  useEffect(() => {
    if (location.pathname === '/contracts') setQ(params.get('q') ?? '');
  }, [location.pathname, params]);
  return (
    <form
      role="search"
      className="search"
      onSubmit={(e) => {
        e.preventDefault();
        const next = new URLSearchParams({ network: networkSlug(network) });
        if (q.trim()) next.set('q', q.trim());
        navigate(`/contracts?${next}`);
      }}
    >
      <label htmlFor="search-q" className="visually-hidden">
        Search contracts
      </label>
      <input
        id="search-q"
        type="search"
        placeholder="Search contracts, functions, tags…"
        value={q}
        onChange={(e) => setQ(e.target.value)}
        maxLength={200}
      />
      <button type="submit">Search</button>
    </form>
  );
}

export function Layout() {
  const location = useLocation();
  const main = useRef<HTMLElement>(null);
  const first = useRef(true);
  // After a navigation, move focus to the new page's heading (screen readers announce it), unless
  // the URL points at an element of the page.
  // Pages that load their data first show their heading later: wait for it (a few seconds).
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const root = main.current;
    if (location.hash || !root) return;
    const focus = () => {
      const h1 = root.querySelector('h1');
      if (!h1) return false;
      h1.setAttribute('tabindex', '-1');
      h1.focus({ preventScroll: false });
      return true;
    };
    if (focus()) return;
    const watch = new MutationObserver(() => {
      if (focus()) watch.disconnect();
    });
    watch.observe(root, { childList: true, subtree: true });
    const stop = window.setTimeout(() => watch.disconnect(), 5000);
    return () => {
      watch.disconnect();
      window.clearTimeout(stop);
    };
  }, [location.pathname, location.hash]);
  return (
    <>
      <a href="#main" className="skip-link">
        Skip to content
      </a>
      <header className="site-header">
        <Link to="/" className="brand">
          Soroban Registry
        </Link>
        <nav aria-label="Main">
          <NavLink to="/contracts" end>
            Contracts
          </NavLink>
        </nav>
        <NetworkSwitcher />
        <SearchBox />
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <ErrorBoundary resetKey={location.pathname}>
          <Outlet />
        </ErrorBoundary>
      </main>
      <footer className="site-footer">
        <p>
          Every Soroban contract on Stellar, read from the chain. The same data is served as a
          GraphQL API at <a href="/graphql">/graphql</a>.
        </p>
      </footer>
    </>
  );
}
