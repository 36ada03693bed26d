/** A number as a table shows it: 4 significant digits, exponent notation when tiny or huge. */
export function formatNumber(value: unknown): string {
  if (typeof value !== 'number')
    return value == null ? '' : typeof value === 'object' ? JSON.stringify(value) : String(value);
  if (!Number.isFinite(value)) return String(value);
  if (Number.isInteger(value) && Math.abs(value) < 1e7) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(2);
  return value.toPrecision(4).replace(/\.?0+$/, '');
}

/** The model's own options as `k=v` pairs (β, γ, ...): what tells runs of one model apart. */
export function hyperparameters(config: Record<string, unknown> | null): string {
  const options = (config?.modelOptions ?? {}) as Record<string, unknown>;
  return Object.entries(options)
    .map(([k, v]) => `${k}=${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(' ');
}

/** Every numeric leaf of a JSON value with its dotted path; arrays are skipped (matrices, per-factor lists). */
export function numericLeaves(value: unknown, prefix = ''): Array<[string, number]> {
  if (typeof value === 'number') return [[prefix, value]];
  if (value == null || typeof value !== 'object' || Array.isArray(value)) return [];
  return Object.entries(value).flatMap(([key, inner]) =>
    numericLeaves(inner, prefix ? `${prefix}.${key}` : key),
  );
}

/** Sorts rows by a column: numbers numerically, the rest as text, missing values last. */
export function sortRows<T>(rows: T[], value: (row: T) => unknown, descending: boolean): T[] {
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const [x, y] = [value(a), value(b)];
    if (x == null || x === '') return y == null || y === '' ? 0 : 1;
    if (y == null || y === '') return -1;
    if (typeof x === 'number' && typeof y === 'number') return sign * (x - y);
    return sign * String(x).localeCompare(String(y), undefined, { numeric: true });
  });
}

/** Distinct colours for many series (KL of each dim, terms of a loss). */
export function seriesColor(i: number): string {
  const palette = [
    '#1f77b4',
    '#d62728',
    '#2ca02c',
    '#ff7f0e',
    '#9467bd',
    '#8c564b',
    '#e377c2',
    '#17becf',
    '#7f7f7f',
    '#bcbd22',
  ];
  return i < palette.length ? palette[i] : `hsl(${(i * 137.5) % 360} 60% 45%)`;
}
