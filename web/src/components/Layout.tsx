// The frame of every page: skip link, header (home, contracts, network, search, sign-in), main,
// footer.
import { createContext, useContext, useEffect, useRef, useState } from 'react';
import { Link, NavLink, Outlet, useLocation, useNavigate, useSearchParams } from 'react-router';
import { useQuery } from 'urql';
import type { Network } from '../gql/graphql';
import { Account } from './Account';
import { ErrorBoundary } from './ErrorBoundary';
import { IndexerStatusQuery } from './IndexerStatus';
import { endpoints } from '../lib/api';
import {
  DEFAULT_NETWORK,
  NETWORKS,
  chooseNetwork,
  networkLabel,
  networkSlug,
  parseNetwork,
  rememberNetwork,
  rememberedNetwork,
} from '../lib/network';

const NetworkContext = createContext<Network | null>(null);

/**
 * The network the page shows: `?network=` when given, else the visitor's last choice, else the
 * network being indexed (the first of the indexer's status list). Null while that list loads.
 */
export function useNetwork(): Network | null {
  return useContext(NetworkContext);
}

/** Chooses the network for `useNetwork`. The indexed network, once known, holds for the visit:
 * the status list is read again while the page is open, and its order changes as indexers write. */
function useChosenNetwork(): Network | null {
  const [params] = useSearchParams();
  const fromUrl = params.get('network');
  const remembered = rememberedNetwork();
  const [pinned, setPinned] = useState<Network | null>(null);
  const needed = !parseNetwork(fromUrl) && !remembered && !pinned;
  const [{ data, error }] = useQuery({ query: IndexerStatusQuery, pause: !needed });
  // An unreadable status list counts as empty: the registry's default network.
  const statuses = data?.analytics.indexerStatus ?? (error ? [] : undefined);
  const chosen = chooseNetwork(fromUrl, remembered ?? pinned, statuses);
  if (needed && chosen) setPinned(chosen);
  return chosen;
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
      <select value={network ?? DEFAULT_NETWORK} disabled={!network} onChange={(e) => change(e.target.value as Network)}>
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
        const next = new URLSearchParams({ network: networkSlug(network ?? DEFAULT_NETWORK) });
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
  const network = useChosenNetwork();
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
    <NetworkContext.Provider value={network}>
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
        <Account />
      </header>
      <main id="main" ref={main} tabIndex={-1}>
        <ErrorBoundary resetKey={location.pathname}>
          <Outlet />
        </ErrorBoundary>
      </main>
      <footer className="site-footer">
        <p>
          Every Soroban contract on Stellar, read from the chain. The same data is served as a
          GraphQL API at <a href={endpoints().graphql}>{endpoints().graphql}</a>.
        </p>
      </footer>
    </NetworkContext.Provider>
  );
}
