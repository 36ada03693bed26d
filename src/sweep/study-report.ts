import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type * as vegaLite from 'vega-lite';
import { writeFileAtomic } from '../io/atomic.ts';
import { svgToPng, vegaLiteToSvg } from '../viz/vega-render.ts';
import { spearman } from './aggregate.ts';
import { spearmanPermutationP } from './rank-test.ts';
import type { StudyBudget } from './study-budgets.ts';
import type { CurvePoint } from './study-curve.ts';
import type { StudyDefinition, TrendCheck } from './study-definitions.ts';

/** One job's numbers: a model at one setting and seed. */
export interface StudyObservation {
  model: string;
  setting: Record<string, unknown>;
  seed: number;
  values: Record<string, number>;
  curve?: CurvePoint[];
}

export interface Spread {
  mean: number;
  std: number;
  values: number[];
}

export interface StudyRow {
  model: string;
  setting: Record<string, unknown>;
  label: string;
  seeds: number;
  metrics: Record<string, Spread>;
}

export interface CheckVerdict {
  claim: string;
  verdict: 'holds' | 'fails' | 'weak' | 'unknown';
  detail: string;
}

export interface StudyTable {
  study: string;
  title: string;
  claim: string;
  budget: string;
  command: string;
  train: StudyBudget['train'];
  /** the study's models whose training differs from `train` (absent in tables written before it existed) */
  modelTrain?: StudyBudget['modelTrain'];
  /** a speech study's FHVAE training steps (its batch and Adam are the model's own); absent otherwise */
  fhvaeSteps?: number;
  note: string;
  columns: string[];
  rows: StudyRow[];
  /** row label → seeds of the jobs with no active dim (absent in tables written before it existed) */
  untrained?: Record<string, number[]>;
  checks: CheckVerdict[];
  /** jobs (fhvae: seeds) finished of those planned (absent in tables written before it existed) */
  progress?: StudyProgress;
}

export interface StudyProgress {
  finished: number;
  planned: number;
}

/** Where lower numbers are better (losses, error rates): `beats` compares the other way. */
export const LOWER_IS_BETTER = new Set(['reconstruction', 'kl', 'rawEer', 'ldaEer']);

const MODEL_NAMES: Record<string, string> = {
  'beta-vae': 'β-VAE',
  'factor-vae': 'FactorVAE',
  'beta-tcvae': 'β-TCVAE',
  'annealed-vae': 'AnnealedVAE',
  'cascade-vae': 'CascadeVAE',
  'joint-vae': 'JointVAE',
  fhvae: 'FHVAE μ2',
  mu1: 'FHVAE μ1',
  'i-vector': 'i-vector',
};
const SYMBOLS: Record<string, string> = { beta: 'β', gamma: 'γ', alpha: 'α', capacityMax: 'C_max' };
const METRIC_NAMES: Record<string, string> = {
  mig: 'MIG',
  'factor-vae-score': 'FactorVAE score',
  'discrete-accuracy': 'shape accuracy (discrete latent)',
  'active-units': 'active units',
  reconstruction: 'reconstruction (nats)',
  kl: 'KL (nats)',
  rawEer: 'raw EER',
  ldaEer: 'LDA EER',
};
export const metricName = (m: string) => METRIC_NAMES[m] ?? m;

export function settingLabel(model: string, setting: Record<string, unknown>): string {
  const parts = Object.entries(setting).map(([k, v]) => `${SYMBOLS[k] ?? k}=${v}`);
  return [MODEL_NAMES[model] ?? model, ...parts].join(' ');
}

export function spreadOf(values: number[]): Spread {
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  const std =
    values.length > 1 ? Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / (values.length - 1)) : 0;
  return { mean, std, values };
}

/** One row per (model, setting), each metric as mean ± sample std over seeds. */
export function studyRows(observations: readonly StudyObservation[], columns: readonly string[]): StudyRow[] {
  const groups = new Map<string, StudyObservation[]>();
  for (const o of observations) {
    const key = settingLabel(o.model, o.setting);
    groups.set(key, [...(groups.get(key) ?? []), o]);
  }
  return [...groups.entries()].map(([label, group]) => ({
    model: group[0].model,
    setting: group[0].setting,
    label,
    seeds: group.length,
    metrics: Object.fromEntries(
      columns.flatMap((c) => {
        const values = group.map((o) => o.values[c]).filter((v) => Number.isFinite(v));
        return values.length > 0 ? [[c, spreadOf(values)]] : [];
      }),
    ),
  }));
}

/**
 * The jobs that learned nothing: no active dim, so their code says nothing about the image (a collapse
 * at the budget's learning rate, say). Reported beside the table; a comparison with them is not a finding.
 */
export function untrainedSeeds(observations: readonly StudyObservation[]): Map<string, number[]> {
  const untrained = new Map<string, number[]>();
  for (const o of observations) {
    if (o.values['active-units'] !== 0) continue;
    const label = settingLabel(o.model, o.setting);
    untrained.set(
      label,
      [...(untrained.get(label) ?? []), o.seed].sort((a, b) => a - b),
    );
  }
  return untrained;
}

/** The seeds' trend checked on our numbers, said plainly. */
export function checkTrend(
  check: TrendCheck,
  observations: readonly StudyObservation[],
  rows: readonly StudyRow[],
): CheckVerdict {
  const name = metricName(check.metric);
  if (check.kind === 'beats') {
    const lower = LOWER_IS_BETTER.has(check.metric);
    const best = (model: string) =>
      rows
        .filter((r) => r.model === model && r.metrics[check.metric])
        .sort((a, b) => (lower ? -1 : 1) * (b.metrics[check.metric].mean - a.metrics[check.metric].mean))[0];
    const [b, w] = [best(check.better), best(check.worse)];
    if (!b || !w) return { claim: check.claim, verdict: 'unknown', detail: `no ${name} for both models` };
    const [mb, mw] = [b.metrics[check.metric], w.metrics[check.metric]];
    const gap = lower ? mw.mean - mb.mean : mb.mean - mw.mean;
    const spread = Math.max(mb.std, mw.std);
    const detail = `best ${b.label}: ${fmt(mb, b.seeds)} vs best ${w.label}: ${fmt(mw, w.seeds)} (${name}; gap ${gap.toFixed(3)}, seed spread ${spread.toFixed(3)})`;
    // one seed on either side gives no spread to judge the gap against
    const replicated = mb.values.length > 1 && mw.values.length > 1;
    const untrained = untrainedSeeds(observations);
    const collapsed = [b, w]
      .filter((r) => untrained.has(r.label))
      .map((r) => `${r.label}: ${untrained.get(r.label)?.length} of ${r.seeds} seeds learned nothing`);
    const trained = collapsed.length === 0;
    const verdict = gap <= 0 ? 'fails' : gap > spread && replicated && trained ? 'holds' : 'weak';
    const notes = [
      ...(gap > 0 && !replicated ? ['one seed: not judged'] : []),
      ...(gap > 0 && !trained ? [`${collapsed.join(', ')} (0 active dims): not judged`] : []),
    ];
    return { claim: check.claim, verdict, detail: [detail, ...notes].join('; ') };
  }
  const points = observations.filter(
    (o) =>
      o.model === check.model && Number.isFinite(o.values[check.metric]) && check.hyperparameter in o.setting,
  );
  const xs = points.map((o) => Number(o.setting[check.hyperparameter]));
  if (new Set(xs).size < 2)
    return { claim: check.claim, verdict: 'unknown', detail: 'fewer than two settings finished' };
  const rho = spearman(
    xs,
    points.map((o) => o.values[check.metric]),
  );
  const signed = check.kind === 'rises' ? rho : -rho;
  const ys = points.map((o) => o.values[check.metric]);
  const p = spearmanPermutationP(xs, check.kind === 'rises' ? ys : ys.map((v) => -v));
  const means = rows
    .filter((r) => r.model === check.model && r.metrics[check.metric])
    .map(
      (r) =>
        `${SYMBOLS[check.hyperparameter] ?? check.hyperparameter}=${r.setting[check.hyperparameter]}: ${r.metrics[check.metric].mean.toFixed(3)}`,
    )
    .join(', ');
  const detail = `Spearman ρ(${SYMBOLS[check.hyperparameter] ?? check.hyperparameter}, ${name}) = ${Number.isFinite(rho) ? rho.toFixed(2) : 'n/a'} over ${points.length} jobs (one-sided permutation p = ${Number.isFinite(p) ? p.toFixed(3) : 'n/a'}); means ${means}`;
  if (!Number.isFinite(rho)) return { claim: check.claim, verdict: 'unknown', detail };
  return { claim: check.claim, verdict: signed <= 0 ? 'fails' : p < 0.05 ? 'holds' : 'weak', detail };
}

/** `mean ± std`, marked `(n of m)` where only n of the row's m seeds have the value (a lost run log, say). */
const fmt = (s: Spread, seeds: number) =>
  `${s.values.length > 1 ? `${s.mean.toFixed(3)} ± ${s.std.toFixed(3)}` : s.mean.toFixed(3)}${s.values.length < seeds ? ` (${s.values.length} of ${seeds})` : ''}`;

export function tableMarkdown(table: Pick<StudyTable, 'columns' | 'rows'>): string {
  return [
    `| setting | seeds | ${table.columns.map(metricName).join(' | ')} |`,
    `|---|---:|${table.columns.map(() => '---:').join('|')}|`,
    ...table.rows.map(
      (r) =>
        `| ${r.label} | ${r.seeds} | ${table.columns.map((c) => (r.metrics[c] ? fmt(r.metrics[c], r.seeds) : '–')).join(' | ')} |`,
    ),
    '',
  ].join('\n');
}

const VERDICT_WORDS = {
  holds: 'holds',
  fails: 'does not hold',
  weak: 'is not clear (weak, within the seed spread, or too few jobs to tell)',
  unknown: 'cannot be judged',
};

/** ` (CascadeVAE: Adam 0.001)` for the models whose training differs from the budget's. */
function modelTrainWords(modelTrain: StudyTable['modelTrain']): string {
  const parts = Object.entries(modelTrain ?? {}).map(
    ([model, keys]) =>
      `${MODEL_NAMES[model] ?? model}: ${Object.entries(keys)
        .map(([k, v]) => (k === 'learningRate' ? `Adam ${v}` : `${k} ${v}`))
        .join(', ')}`,
  );
  return parts.length > 0 ? ` (${parts.join('; ')})` : '';
}

function untrainedWords(untrained: StudyTable['untrained']): string[] {
  const entries = Object.entries(untrained ?? {});
  if (entries.length === 0) return [];
  const list = entries.map(
    ([label, seeds]) => `${label} seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')}`,
  );
  return [
    `**Jobs that learned nothing** (0 active dims: the code does not vary with the image): ${list.join('; ')}. Their rows' means include them; a comparison with them is not a finding.`,
    '',
  ];
}

function partialWords(progress: StudyProgress | undefined): string[] {
  if (progress == null || progress.finished >= progress.planned) return [];
  return [
    `**Partial: ${progress.finished} of ${progress.planned} ${progress.planned === 1 ? 'job' : 'jobs'} finished.** The table and the checks below use the finished ones; the study's command (without \`--report-only\`) trains the rest.`,
    '',
  ];
}

export function reportMarkdown(table: StudyTable, plots: readonly string[]): string {
  return [
    `# Study \`${table.study}\`: ${table.title}`,
    '',
    `Command: \`${table.command}\``,
    '',
    table.fhvaeSteps !== undefined
      ? `Budget \`${table.budget}\`: ${table.fhvaeSteps.toLocaleString('en')} FHVAE steps per α (the model's own batch size and Adam); i-vectors of 48 and 100 dims.`
      : `Budget \`${table.budget}\`: ${table.train.steps.toLocaleString('en')} steps of batch ${table.train.batchSize}, Adam ${table.train.learningRate}${modelTrainWords(table.modelTrain)}; ${table.note}.`,
    '',
    `**The seeds' claim.** ${table.claim}`,
    '',
    ...partialWords(table.progress),
    '**Our numbers** (mean ± sample standard deviation over seeds; reconstruction and KL are the training',
    "batches' over the last tenth of training):",
    '',
    tableMarkdown(table),
    ...untrainedWords(table.untrained),
    '**Does the trend hold here?**',
    '',
    ...table.checks.map((c) => `- ${c.claim}: **${VERDICT_WORDS[c.verdict]}** — ${c.detail}.`),
    '',
    ...(plots.length > 0 ? ['Plots: ', ...plots.map((p) => `- \`${p}\``), ''] : []),
  ].join('\n');
}

/** table.json, table.md, report.md and the plots; returns the files written (relative to dir). */
export async function writeStudyReport(
  dir: string,
  study: StudyDefinition,
  budget: StudyBudget,
  command: string,
  observations: readonly StudyObservation[],
  columns: readonly string[],
  progress?: StudyProgress,
): Promise<{ table: StudyTable; written: string[] }> {
  const rows = studyRows(observations, columns);
  const table: StudyTable = {
    study: study.name,
    title: study.title,
    claim: study.claim,
    budget: budget.name,
    command,
    train: budget.train,
    ...(study.dataset === 'speech' ? { fhvaeSteps: budget.fhvaeSteps } : {}),
    modelTrain: Object.fromEntries(
      Object.entries(budget.modelTrain).filter(([m]) => m in study.grid(budget)),
    ),
    note: budget.note,
    columns: [...columns],
    rows,
    untrained: Object.fromEntries(untrainedSeeds(observations)),
    checks: study.checks.map((c) => checkTrend(c, observations, rows)),
    ...(progress ? { progress } : {}),
  };
  const written: string[] = [];
  const write = async (name: string, data: string | Uint8Array) => {
    await writeFileAtomic(join(dir, name), data);
    written.push(name);
  };
  const plots: string[] = [];
  if (observations.length > 0) {
    await mkdir(join(dir, 'plots'), { recursive: true });
    for (const [name, spec] of studyPlots(study, observations)) {
      const svg = await vegaLiteToSvg(spec);
      await write(join('plots', `${name}.svg`), svg);
      await write(join('plots', `${name}.png`), svgToPng(svg));
      plots.push(join('plots', `${name}.png`));
    }
  }
  await write('table.json', `${JSON.stringify(table, null, 2)}\n`);
  await write('table.md', tableMarkdown(table));
  await write('report.md', reportMarkdown(table, plots));
  return { table, written };
}

/** Metric vs hyperparameter (every seed a point, the mean a line, ± std bars) and metric vs step. */
export function studyPlots(
  study: StudyDefinition,
  observations: readonly StudyObservation[],
): [string, vegaLite.TopLevelSpec][] {
  const plots: [string, vegaLite.TopLevelSpec][] = [];
  const schema = 'https://vega.github.io/schema/vega-lite/v5.json';
  const hyperparameters = [
    ...new Set(study.checks.flatMap((c) => (c.kind === 'beats' ? [] : [c.hyperparameter]))),
  ];
  const metrics = [...new Set([...study.metrics, ...study.checks.map((c) => c.metric)])];
  for (const hyper of hyperparameters) {
    for (const metric of metrics) {
      const values = observations
        .filter((o) => hyper in o.setting && Number.isFinite(o.values[metric]))
        .map((o) => ({
          model: MODEL_NAMES[o.model] ?? o.model,
          x: Number(o.setting[hyper]),
          y: o.values[metric],
        }));
      if (values.length === 0) continue;
      const x = { field: 'x', type: 'ordinal', title: SYMBOLS[hyper] ?? hyper } as const;
      const y = {
        field: 'y',
        type: 'quantitative',
        title: metricName(metric),
        scale: { zero: false },
      } as const;
      plots.push([
        `${metric}-vs-${hyper}`,
        {
          $schema: schema,
          title: `${metricName(metric)} against ${SYMBOLS[hyper] ?? hyper} (points: seeds; line: mean; bars: ± std)`,
          data: { values },
          width: 260,
          height: 180,
          layer: [
            { mark: { type: 'point', opacity: 0.6 }, encoding: { x, y, color: { field: 'model' } } },
            {
              mark: 'line',
              encoding: { x, y: { ...y, aggregate: 'mean' }, color: { field: 'model', title: null } },
            },
            {
              mark: { type: 'errorbar', extent: 'stdev' },
              encoding: { x, y, color: { field: 'model' } },
            },
          ],
        } as vegaLite.TopLevelSpec,
      ]);
    }
  }
  // the comparison studies (one setting per model): one box per model
  if (hyperparameters.length === 0 || study.checks.some((c) => c.kind === 'beats')) {
    for (const metric of metrics) {
      const values = observations
        .filter((o) => Number.isFinite(o.values[metric]))
        .map((o) => ({ setting: settingLabel(o.model, o.setting), y: o.values[metric] }));
      if (values.length === 0) continue;
      plots.push([
        `${metric}-by-setting`,
        {
          $schema: schema,
          title: `${metricName(metric)} by model and setting (points: seeds)`,
          data: { values },
          width: 260,
          height: 180,
          layer: [
            { mark: { type: 'boxplot', extent: 'min-max' }, encoding: encodeBySetting(metric, values) },
            { mark: { type: 'point', color: 'black' }, encoding: encodeBySetting(metric, values) },
          ],
        } as vegaLite.TopLevelSpec,
      ]);
    }
  }
  for (const metric of [...study.curveMetrics, 'reconstruction']) {
    const values = observations.flatMap((o) =>
      (o.curve ?? [])
        .filter((p) => Number.isFinite(p[metric]))
        .map((p) => ({ setting: settingLabel(o.model, o.setting), step: p.step, y: p[metric] })),
    );
    if (values.length === 0) continue;
    const x = { field: 'step', type: 'quantitative', title: 'training step' } as const;
    const y = {
      field: 'y',
      type: 'quantitative',
      title: metricName(metric),
      scale: { zero: false },
    } as const;
    const color = { field: 'setting', type: 'nominal', title: null, sort: gridOrder(values) } as const;
    plots.push([
      `${metric}-vs-step`,
      {
        $schema: schema,
        title: `${metricName(metric)} during training (line: mean over seeds; band: ± std)`,
        data: { values },
        width: 320,
        height: 200,
        // the settings' labels are the legend: whole, not cut at vega's 160 px
        config: { legend: { labelLimit: 0 } },
        layer: [
          { mark: { type: 'errorband', extent: 'stdev', opacity: 0.2 }, encoding: { x, y, color } },
          { mark: { type: 'line', point: true }, encoding: { x, y: { ...y, aggregate: 'mean' }, color } },
        ],
      } as vegaLite.TopLevelSpec,
    ]);
  }
  return plots;
}

/** Settings in the order the grid (and the table) lists them; vega-lite would sort the labels as text (γ=10, γ=100, γ=35). */
function gridOrder(values: readonly { setting: string }[]): string[] {
  return [...new Set(values.map((v) => v.setting))];
}

function encodeBySetting(metric: string, values: readonly { setting: string }[]) {
  return {
    x: { field: 'setting', type: 'nominal', title: null, sort: gridOrder(values), axis: { labelAngle: -30 } },
    y: { field: 'y', type: 'quantitative', title: metricName(metric), scale: { zero: false } },
  } as const;
}
