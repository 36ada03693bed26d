import { formatNumber, numericLeaves } from '../format.ts';

/** The headline metrics, and every numeric field of metrics.json behind a disclosure. */
export function MetricsTable({ headline, metrics }: { headline: Record<string, number>; metrics: unknown }) {
  const names = Object.keys(headline);
  if (metrics == null) {
    return (
      <p class="muted">
        No metrics.json yet: <code>untangle evaluate RUN</code> writes one.
      </p>
    );
  }
  const leaves = numericLeaves(metrics).filter(([path]) => !path.startsWith('headline.'));
  return (
    <div>
      <table class="metrics">
        <thead>
          <tr>
            <th>metric</th>
            <th>value</th>
          </tr>
        </thead>
        <tbody>
          {names.map((name) => (
            <tr key={name}>
              <td>{name}</td>
              <td class="num">{formatNumber(headline[name])}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {leaves.length > 0 && (
        <details>
          <summary>all numeric fields ({leaves.length})</summary>
          <table class="metrics">
            <tbody>
              {leaves.map(([path, value]) => (
                <tr key={path}>
                  <td>{path}</td>
                  <td class="num">{formatNumber(value)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </details>
      )}
    </div>
  );
}
