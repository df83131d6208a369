import { Link } from 'react-router';

interface PageInfo {
  hasNextPage: boolean;
  hasPreviousPage: boolean;
  startCursor?: string | null;
  endCursor?: string | null;
}

/** Previous / next links for a cursor-paged list; `href` builds the URL of a page. */
export function Pager({
  pageInfo,
  href,
}: {
  pageInfo: PageInfo;
  href: (page: { after?: string; before?: string }) => string;
}) {
  const prev = pageInfo.hasPreviousPage && pageInfo.startCursor;
  const next = pageInfo.hasNextPage && pageInfo.endCursor;
  if (!prev && !next) return null;
  return (
    <nav className="pager" aria-label="Pages">
      {prev ? (
        <Link to={href({ before: pageInfo.startCursor ?? undefined })} rel="prev">
          ← Previous
        </Link>
      ) : (
        <span aria-hidden="true" />
      )}
      {next ? (
        <Link to={href({ after: pageInfo.endCursor ?? undefined })} rel="next">
          Next →
        </Link>
      ) : (
        <span aria-hidden="true" />
      )}
    </nav>
  );
}
