import { Link } from 'react-router';

/** The page for an unknown address, hash or path. */
export function NotFound({ what }: { what?: string }) {
  return (
    <section className="not-found">
      <h1>Not found</h1>
      <p>The registry does not know {what ?? 'this page'}.</p>
      <p>
        Newly deployed contracts appear within seconds of their ledger closing; check the address
        and the network, or <Link to="/contracts">browse the contracts</Link>.
      </p>
    </section>
  );
}
