// A bar chart of one value per UTC day (uPlot), with the same figures as a table for screen
// readers and keyboard users.
import { useEffect, useRef } from 'react';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatNumber } from '../lib/format';

export interface Series {
  label: string;
  values: readonly number[];
  color: string;
  /** Drawn as a line over the bars (a figure that is not part of the others). */
  line?: boolean;
}

export function DailyChart({
  title,
  days,
  series,
  height = 180,
}: {
  title: string;
  days: readonly string[];
  series: readonly Series[];
  height?: number;
}) {
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el) return;
    const xs = days.map((d) => Date.parse(`${d}T00:00:00Z`) / 1000);
    const bars = uPlot.paths.bars?.({ size: [0.7, 40] });
    const opts: uPlot.Options = {
      width: Math.max(el.clientWidth, 200),
      height,
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1000), 'Etc/UTC'),
      legend: { show: series.length > 1 },
      cursor: { drag: { x: false, y: false } },
      // Half a day of room either side, so the first and last bars are whole.
      scales: { x: { time: true, range: (_u, min, max) => [min - 43_200, max + 43_200] }, y: { range: (_u, _min, max) => [0, Math.max(1, max)] } },
      axes: [{}, { size: 56, values: (_u, ticks) => ticks.map((t) => formatNumber(t)) }],
      series: [
        {},
        ...series.map((s) =>
          s.line
            ? { label: s.label, stroke: s.color, width: 2 }
            : { label: s.label, stroke: s.color, fill: `${s.color}99`, width: 1, paths: bars },
        ),
      ],
    };
    const plot = new uPlot(opts, [xs, ...series.map((s) => [...s.values])], el);
    const resize = new ResizeObserver(() => {
      plot.setSize({ width: Math.max(el.clientWidth, 200), height });
    });
    resize.observe(el);
    return () => {
      resize.disconnect();
      plot.destroy();
    };
  }, [days, series, height]);
  const total = series.map((s) => s.values.reduce((a, b) => a + b, 0));
  return (
    <figure className="chart">
      <figcaption>
        {title}
        {series.map((s, i) => (
          <span key={s.label} className="chart-total">
            {' '}
            · {s.label}: {formatNumber(total[i] ?? 0)}
          </span>
        ))}
      </figcaption>
      <div ref={box} className="chart-canvas" role="img" aria-label={`${title}: chart`} />
      <details>
        <summary>Data</summary>
        <div className="table-scroll">
          <table>
            <thead>
              <tr>
                <th scope="col">Day (UTC)</th>
                {series.map((s) => (
                  <th scope="col" key={s.label}>
                    {s.label}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {days.map((d, i) => (
                <tr key={d}>
                  <td>{d}</td>
                  {series.map((s) => (
                    <td key={s.label}>{formatNumber(s.values[i] ?? 0)}</td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </figure>
  );
}
