import type { LatentFactor } from '../metrics/latent-factors.ts';
import type { LogEntry } from '../run/log.ts';

/** What the demo's report.md is made from: the run's log, its scores, and what each active dim captures. */
export interface DemoFacts {
  title: string;
  /** e.g. "learning rate 1e-3, batch 64, β = 6" */
  recipe: string;
  seconds: number;
  batchSize: number;
  log: LogEntry[];
  klPerDim: number[];
  /** the active dims (posterior mean varies with x), sorted by KL */
  factors: LatentFactor[];
  factorNames: readonly string[];
  mig: number;
  /** e.g. "10,000 points" */
  migSample: string;
  factorVaeScore: number;
  factorVaeSample: string;
}

/** A dim "names" a factor when it is the best dim for it and holds at least this share of H(factor). */
export const NAMED_THRESHOLD = 0.2;

/** The short note under a traversal row: `posX 0.72 (89%)`. */
export function factorNote(f: LatentFactor): string {
  return `${f.factor} ${f.normalizedMi.toFixed(2)} (${Math.round(100 * f.share)}%)`;
}

/** Factors some active dim captures best of all dims with at least NAMED_THRESHOLD of their entropy. */
export function namedFactors(factors: readonly LatentFactor[]): string[] {
  return [
    ...new Set(factors.filter((f) => f.lead > 0 && f.normalizedMi >= NAMED_THRESHOLD).map((f) => f.factor)),
  ];
}

export function demoReport(f: DemoFacts): string {
  const first = f.log[0];
  const last = f.log[f.log.length - 1];
  const fmt = (x: number, digits = 2) => x.toFixed(digits);
  const named = namedFactors(f.factors);
  const missing = f.factorNames.filter((n) => !named.includes(n));
  const ranked = f.klPerDim.map((value, dim) => ({ dim, value })).sort((a, b) => b.value - a.value);
  return [
    `# ${f.title}`,
    '',
    `Recipe: ${f.recipe}. ${last.step} steps in ${Math.round(f.seconds)} s ` +
      `(${fmt((last.step * f.batchSize) / f.seconds, 0)} img/s including evaluation and pictures).`,
    '',
    '## Disentanglement',
    '',
    `- **MIG ${fmt(f.mig, 3)}** (disentanglement_lib's discretised MIG, 20 bins, on ${f.migSample}).`,
    `- **FactorVAE score ${fmt(f.factorVaeScore, 3)}** (small sample: ${f.factorVaeSample}; chance 0.2 over 5 factors).`,
    `- Factors named by a row: ${named.length > 0 ? named.join(', ') : 'none'}` +
      `${missing.length > 0 ? `; not captured by any dim on its own: ${missing.join(', ')}` : ''}.`,
    '',
    'Each active dim and the ground-truth factor it captures most: I(z; factor) / H(factor) is the share',
    "of the factor's entropy the (binned) dim holds; *share* is the part of the dim's information (summed",
    'the same way over all factors) that is about that factor; *lead* is how far it is ahead of the',
    'next-best dim on the same factor (≤ 0: another dim holds it better).',
    '',
    '| dim | KL (nats) | captures | I/H | share | lead |',
    '|---|---|---|---|---|---|',
    ...f.factors.map(
      (d) =>
        `| z${d.dim} | ${fmt(f.klPerDim[d.dim])} | ${d.factor} | ${fmt(d.normalizedMi)} | ${Math.round(100 * d.share)}% | ${fmt(d.lead)} |`,
    ),
    '',
    '## Training',
    '',
    '| | step | total | reconstruction | KL |',
    '|---|---|---|---|---|',
    `| first logged | ${first.step} | ${fmt(first.total)} | ${fmt(first.reconstruction as number)} | ${fmt(first.kl as number)} |`,
    `| last | ${last.step} | ${fmt(last.total)} | ${fmt(last.reconstruction as number)} | ${fmt(last.kl as number)} |`,
    '',
    `KL per latent dim (nats, sorted, over the data): ${ranked.map((d) => `z${d.dim} ${fmt(d.value)}`).join(', ')}.`,
    `${f.factors.length} of ${f.klPerDim.length} dims are active; dSprites has ${f.factorNames.length} factors (${f.factorNames.join(', ')}).`,
    '',
    'Pictures: `traversal.png` (one row per latent dim, sorted by KL, labelled with the dim, its KL and the',
    'factor it captures; columns μ ± 2), `traversal.gif` (the same labels under each dim),',
    '`reconstructions.png` (originals above their reconstructions), `samples.png` (decoded draws from the prior).',
    'Scores: `metrics.json`. Losses per step: `log.jsonl`. Continue training with',
    '`untangle train --resume <this folder> --steps N`.',
    '',
  ].join('\n');
}
