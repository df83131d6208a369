// A plain data table: column headings, rows of cells, scrolling sideways on narrow screens.
import type { ReactNode } from 'react';

export interface Row {
  key: string | number;
  cells: ReactNode[];
}

export function Table({
  head,
  rows,
  caption,
  className,
}: {
  head: readonly string[];
  rows: readonly Row[];
  caption?: string;
  className?: string;
}) {
  return (
    <div className="table-scroll">
      <table className={className}>
        {caption && <caption>{caption}</caption>}
        <thead>
          <tr>
            {head.map((h) => (
              <th scope="col" key={h}>
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.key}>
              {r.cells.map((c, i) => (
                <td key={i}>{c}</td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
