// A contract's audit trail: every change a publisher made to it (claims, releases, tags), newest
// first, from the registry's append-only log: when, who (their publisher page), what, and the
// change in words.
import { Link } from 'react-router';
import { graphql } from '../gql';
import type { AuditEntryFactsFragment } from '../gql/graphql';
import { auditAction, auditChange } from '../lib/audit';
import { formatDateTime, shortId } from '../lib/format';
import { publisherPath } from '../lib/paths';
import { Empty } from './States';
import { Table } from './Table';

export const AuditEntryFacts = graphql(`
  fragment AuditEntryFacts on AuditEntry {
    at
    actor
    action
    before
    after
  }
`);

export function AuditTrail({ entries }: { entries: readonly AuditEntryFactsFragment[] }) {
  if (entries.length === 0) return <Empty>No publisher has changed this contract.</Empty>;
  return (
    <Table
      className="audit-trail"
      caption="Changes by publishers, newest first"
      head={['When', 'Who', 'What', 'Change']}
      rows={entries.map((e, i) => ({
        key: `${e.at}:${i}`,
        cells: [
          <time dateTime={e.at}>{formatDateTime(e.at)}</time>,
          <Link to={publisherPath(e.actor)} title={e.actor}>
            <code className="address">{shortId(e.actor, 4)}</code>
          </Link>,
          auditAction(e.action),
          auditChange(e.action, e.before, e.after),
        ],
      }))}
    />
  );
}
