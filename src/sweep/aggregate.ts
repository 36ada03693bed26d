import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type * as vegaLite from 'vega-lite';
import { writeFileAtomic } from '../io/atomic.ts';
import { readJsonSync } from '../io/read-json.ts';
import { svgToPng, vegaLiteToSvg } from '../viz/vega-render.ts';
import type { JobResult } from './run-job.ts';
import { readUdrScores } from './udr-file.ts';

/** One row per finished job: id, model, dataset, seed, swept values, headline metrics. */
export interface AggregateTable {
  hyperparameters: string[];
  metrics: string[];
  rows: JobResult[];
}

export function readResults(sweepDir: string): AggregateTable {
  const dir = join(sweepDir, 'results');
  const rows = existsSync(dir)
    ? readdirSync(dir)
        .filter((f) => f.endsWith('.json'))
        .sort()
        .map((f) => readJsonSync(join(dir, f)) as JobResult)
    : [];
  // `untangle udr` scores runs against each other after the fact: its scores join their rows
  const udr = readUdrScores(sweepDir);
  for (const row of rows) if (udr.has(row.id)) row.headline = { ...row.headline, udr: udr.get(row.id)! };
  const union = (pick: (r: JobResult) => object) =>
    [...new Set(rows.flatMap((r) => Object.keys(pick(r))))].sort();
  return { hyperparameters: union((r) => r.hyperparameters), metrics: union((r) => r.headline), rows };
}

export function toCsv(table: AggregateTable): string {
  const header = ['id', 'model', 'dataset', 'seed', ...table.hyperparameters, ...table.metrics];
  const cell = (v: unknown) => {
    if (v == null) return '';
    const text = typeof v === 'object' ? JSON.stringify(v) : String(v);
    return /[",\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
  };
  const lines = table.rows.map((r) =>
    [
      r.id,
      r.model,
      r.dataset,
      r.seed,
      ...table.hyperparameters.map((h) => r.hyperparameters[h]),
      ...table.metrics.map((m) => r.headline[m]),
    ]
      .map(cell)
      .join(','),
  );
  return `${[header.join(','), ...lines].join('\n')}\n`;
}

/** Ranks with ties averaged (1-based). */
function ranks(values: number[]): number[] {
  const order = values.map((v, i) => [v, i]).sort((a, b) => a[0] - b[0]);
  const out = new Array<number>(values.length);
  for (let s = 0; s < order.length; ) {
    let e = s;
    while (e + 1 < order.length && order[e + 1][0] === order[s][0]) e++;
    for (let i = s; i <= e; i++) out[order[i][1]] = (s + e) / 2 + 1;
    s = e + 1;
  }
  return out;
}

/** Spearman's rank correlation (Pearson on tie-averaged ranks); NaN when either side is constant. */
export function spearman(a: number[], b: number[]): number {
  const [ra, rb] = [ranks(a), ranks(b)];
  const mean = (v: number[]) => v.reduce((s, x) => s + x, 0) / v.length;
  const [ma, mb] = [mean(ra), mean(rb)];
  let [sab, saa, sbb] = [0, 0, 0];
  for (let i = 0; i < ra.length; i++) {
    sab += (ra[i] - ma) * (rb[i] - mb);
    saa += (ra[i] - ma) ** 2;
    sbb += (rb[i] - mb) ** 2;
  }
  return sab / Math.sqrt(saa * sbb);
}

/** results.csv, results.json and plots/*.svg + .png in the sweep folder; returns the files written. */
export async function aggregate(sweepDir: string): Promise<string[]> {
  const table = readResults(sweepDir);
  const written: string[] = [];
  const write = async (name: string, text: string | Uint8Array) => {
    await writeFileAtomic(join(sweepDir, name), text);
    written.push(join(sweepDir, name));
  };
  const writePlot = async (name: string, spec: vegaLite.TopLevelSpec) => {
    const svg = await vegaLiteToSvg(spec);
    await write(join('plots', `${name}.svg`), svg);
    await write(join('plots', `${name}.png`), svgToPng(svg));
  };
  await write('results.csv', toCsv(table));
  await write('results.json', `${JSON.stringify(table, null, 2)}\n`);
  if (table.rows.length === 0) return written;
  await mkdir(join(sweepDir, 'plots'), { recursive: true });
  // each metric against each hyperparameter per model: box plots over seeds
  const points = table.rows.map((r) => ({
    model: r.model,
    setting: Object.entries(r.hyperparameters)
      .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
      .join(' '),
    ...r.headline,
  }));
  for (const metric of table.metrics) {
    await writePlot(metric, {
      $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
      title: metric,
      data: { values: points },
      facet: { column: { field: 'model', type: 'nominal', title: null } },
      spec: {
        width: 180,
        height: 160,
        mark: { type: 'boxplot', extent: 'min-max' },
        encoding: {
          x: { field: 'setting', type: 'nominal', title: 'hyperparameter', axis: { labelAngle: -30 } },
          y: { field: metric, type: 'quantitative', title: metric, scale: { zero: false } },
        },
      },
      resolve: { scale: { x: 'independent' } },
    } as vegaLite.TopLevelSpec);
  }
  // rank correlation between metrics across all jobs
  const cells = table.metrics.flatMap((a) =>
    table.metrics.map((b) => {
      const both = table.rows.filter((r) => Number.isFinite(r.headline[a]) && Number.isFinite(r.headline[b]));
      const rho = spearman(
        both.map((r) => r.headline[a]),
        both.map((r) => r.headline[b]),
      );
      return { a, b, rho: Number.isFinite(rho) ? Math.round(rho * 100) / 100 : null };
    }),
  );
  await write('rank-correlation.json', `${JSON.stringify(cells, null, 2)}\n`);
  await writePlot('rank-correlation', {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: 'Spearman rank correlation between metrics',
    data: { values: cells },
    width: 24 * table.metrics.length,
    height: 24 * table.metrics.length,
    layer: [
      {
        mark: 'rect',
        encoding: {
          x: { field: 'a', type: 'nominal', title: null },
          y: { field: 'b', type: 'nominal', title: null },
          color: { field: 'rho', type: 'quantitative', scale: { domain: [-1, 1], scheme: 'redblue' } },
        },
      },
      {
        mark: { type: 'text', fontSize: 8 },
        encoding: {
          x: { field: 'a', type: 'nominal' },
          y: { field: 'b', type: 'nominal' },
          text: { field: 'rho' },
        },
      },
    ],
  } as vegaLite.TopLevelSpec);
  return written;
}
