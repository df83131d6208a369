// Routes. The home page is in the first bundle; the others load when first visited.
import { Suspense, lazy, useMemo } from 'react';
import { BrowserRouter, Route, Routes } from 'react-router';
import { Provider } from 'urql';
import { Layout } from './components/Layout';
import { Loading } from './components/States';
import { makeClient } from './lib/client';
import { Home } from './pages/Home';
import { NotFound } from './pages/NotFound';

const Contracts = lazy(() => import('./pages/Contracts').then((m) => ({ default: m.Contracts })));
const Contract = lazy(() => import('./pages/Contract').then((m) => ({ default: m.Contract })));
const Wasm = lazy(() => import('./pages/Wasm').then((m) => ({ default: m.Wasm })));
const Publisher = lazy(() => import('./pages/Publisher').then((m) => ({ default: m.Publisher })));
const Tag = lazy(() => import('./pages/Tag').then((m) => ({ default: m.Tag })));

export function App() {
  const client = useMemo(() => makeClient(), []);
  return (
    <Provider value={client}>
      <BrowserRouter>
        <Routes>
          <Route element={<Layout />}>
            <Route index element={<Home />} />
            <Route path="contracts" element={<Page><Contracts /></Page>} />
            <Route path="contracts/:network/:contractId" element={<Page><Contract /></Page>} />
            <Route path="wasm/:hash" element={<Page><Wasm /></Page>} />
            <Route path="publishers/:address" element={<Page><Publisher /></Page>} />
            <Route path="tags/:name" element={<Page><Tag /></Page>} />
            <Route path="*" element={<NotFound />} />
          </Route>
        </Routes>
      </BrowserRouter>
    </Provider>
  );
}

function Page({ children }: { children: React.ReactNode }) {
  return <Suspense fallback={<Loading what="the page" />}>{children}</Suspense>;
}
