import { Rng } from '../engine/rng.ts';
import { spearman } from './aggregate.ts';

/** Exact enumeration up to this many jobs (8! = 40,320 orders); a seeded Monte Carlo above it. */
const EXACT_UP_TO = 8;
const MONTE_CARLO_DRAWS = 20_000;

/**
 * One-sided permutation p-value of Spearman's ρ: the share of orderings of `ys` against `xs` whose ρ is at
 * least the observed one. Ties (the seeds of one setting share x) are kept as they are, so no normal
 * approximation is needed. Above EXACT_UP_TO jobs it draws orderings from a fixed seed (+1 in numerator and
 * denominator, so p is never 0), which makes a study's report the same on every rerun.
 */
export function spearmanPermutationP(xs: number[], ys: number[]): number {
  const observed = spearman(xs, ys);
  if (!Number.isFinite(observed)) return Number.NaN;
  const tolerance = 1e-12;
  const y = [...ys];
  if (y.length <= EXACT_UP_TO) {
    let [atLeast, total] = [0, 0];
    const visit = (k: number) => {
      if (k === y.length) {
        total++;
        if (spearman(xs, y) >= observed - tolerance) atLeast++;
        return;
      }
      for (let i = k; i < y.length; i++) {
        [y[k], y[i]] = [y[i], y[k]];
        visit(k + 1);
        [y[k], y[i]] = [y[i], y[k]];
      }
    };
    visit(0);
    return atLeast / total;
  }
  const rng = new Rng(0);
  let atLeast = 0;
  for (let d = 0; d < MONTE_CARLO_DRAWS; d++) {
    for (let i = y.length - 1; i > 0; i--) {
      const j = rng.int(i + 1);
      [y[i], y[j]] = [y[j], y[i]];
    }
    if (spearman(xs, y) >= observed - tolerance) atLeast++;
  }
  return (atLeast + 1) / (MONTE_CARLO_DRAWS + 1);
}
