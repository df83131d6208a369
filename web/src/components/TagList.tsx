import { Link } from 'react-router';
import { tagPath } from '../lib/paths';

export function TagList({ tags }: { tags: readonly { name: string }[] }) {
  if (tags.length === 0) return null;
  return (
    <ul className="tags" aria-label="Tags">
      {tags.map((t) => (
        <li key={t.name}>
          <Link to={tagPath(t.name)} className="tag">
            {t.name}
          </Link>
        </li>
      ))}
    </ul>
  );
}
