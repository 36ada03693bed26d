import type { MetricRun } from '../metrics/suite.ts';

/** Every scalar of every metric result, one line each: `metric.field  mean  sampled`. */
export function printMetricTable(
  byKind: Partial<Record<string, Record<string, MetricRun>>>,
  posterior?: { klPerDim: number[]; activeUnits: number; klTotal: number },
): void {
  const kinds = Object.keys(byKind);
  const rows = new Map<string, Record<string, number>>();
  for (const kind of kinds) {
    for (const [name, run] of Object.entries(byKind[kind] ?? {})) {
      for (const [field, value] of Object.entries(run.result)) {
        if (typeof value !== 'number') continue;
        const key = `${name}.${field}`;
        rows.set(key, { ...rows.get(key), [kind]: value });
      }
    }
  }
  const width = Math.max(24, ...[...rows.keys()].map((k) => k.length + 2));
  const lines = [`${'metric'.padEnd(width)}${kinds.map((k) => k.padStart(10)).join('')}`];
  for (const [key, values] of rows) {
    lines.push(`${key.padEnd(width)}${kinds.map((k) => format(values[k]).padStart(10)).join('')}`);
  }
  if (posterior) {
    lines.push(`${'active units'.padEnd(width)}${String(posterior.activeUnits).padStart(10)}`);
    lines.push(
      `${'KL per dim (nats)'.padEnd(width)}${posterior.klPerDim.map((v) => v.toFixed(2)).join(' ')}`,
    );
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

function format(value: number | undefined): string {
  if (value == null) return '';
  return Number.isInteger(value) ? String(value) : value.toFixed(4);
}
