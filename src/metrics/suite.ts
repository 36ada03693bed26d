import { Rng } from '../engine/rng.ts';
import { InputError } from '../io/input-error.ts';
import { BETA_VAE_SCORE_DEFAULTS, betaVaeScore } from './beta-vae-score.ts';
import type { CodeSource } from './code-source.ts';
import { DCI_DEFAULTS, dci } from './dci.ts';
import { DCI_ES_DEFAULTS, dciEs } from './dci-es.ts';
import { DCIMIG_DEFAULTS, dcimig } from './dcimig.ts';
import { DOWNSTREAM_DEFAULTS, downstream } from './downstream.ts';
import { FACTOR_VAE_SCORE_DEFAULTS, factorVaeScore } from './factor-vae-score.ts';
import { FAIRNESS_DEFAULTS, fairness } from './fairness.ts';
import { INFOMEC_DEFAULTS, infoMec } from './infomec.ts';
import { IRS_DEFAULTS, irs } from './irs.ts';
import { JEMMIG_DEFAULTS, jemmig } from './jemmig.ts';
import { MIG_DEFAULTS, mig } from './mig.ts';
import { MIG_SUP_DEFAULTS, migSup } from './mig-sup.ts';
import { MODULARITY_DEFAULTS, modularityExplicitness } from './modularity-explicitness.ts';
import { SAP_DEFAULTS, sap } from './sap.ts';
import { UNSUPERVISED_DEFAULTS, unsupervised } from './unsupervised.ts';
import { Z_MAX_VAR_DEFAULTS, zMaxVar } from './z-max-var.ts';

export interface MetricEntry {
  description: string;
  /** disentanglement_lib's defaults; every key can be overridden with `--set name.key=value` */
  defaults: Record<string, number>;
  run(source: CodeSource, rng: Rng, options: Record<string, number>): object;
  /** the one number a table shows for this metric */
  headline(result: object): Record<string, number>;
  /** not in the default selection (each costs minutes at its defaults): named in --metrics, or `all` */
  optIn?: true;
  /** how many points one run draws, where far more than numTrain + numTest + numEval (groups of points) */
  pointsDrawn?(options: Record<string, number>): number;
}

const pick =
  (...keys: [string, string][]) =>
  (result: object): Record<string, number> =>
    Object.fromEntries(keys.map(([name, key]) => [name, (result as Record<string, number>)[key]]));

/** Every metric that scores a code source, by its CLI name, in the order they are reported. */
export const METRICS: Record<string, MetricEntry> = {
  'beta-vae-score': {
    description: 'BetaVAE score (Higgins et al. 2017): accuracy of predicting the shared factor',
    defaults: { ...BETA_VAE_SCORE_DEFAULTS },
    run: betaVaeScore,
    pointsDrawn: (o) => 2 * o.batchSize * (o.numTrain + o.numEval),
    headline: pick(['beta-vae-score', 'evalAccuracy']),
  },
  'factor-vae-score': {
    description: 'FactorVAE score (Kim & Mnih 2018): majority vote on the least variable dim',
    defaults: { ...FACTOR_VAE_SCORE_DEFAULTS },
    run: factorVaeScore,
    pointsDrawn: (o) => o.numVarianceEstimate + o.batchSize * (o.numTrain + o.numEval),
    headline: pick(['factor-vae-score', 'evalAccuracy']),
  },
  mig: {
    description: 'Mutual Information Gap (Chen et al. 2018), discretised variant of disentanglement_lib',
    defaults: { ...MIG_DEFAULTS },
    run: mig,
    headline: pick(['mig', 'mig']),
  },
  dci: {
    description:
      'DCI (Eastwood & Williams 2018): disentanglement, completeness, informativeness with boosted trees',
    defaults: { ...DCI_DEFAULTS },
    run: dci,
    headline: pick(['dci-disentanglement', 'disentanglement'], ['dci-completeness', 'completeness']),
  },
  sap: {
    description: 'SAP score (Kumar et al. 2018): gap between the two best single-dim linear SVMs',
    defaults: { ...SAP_DEFAULTS },
    run: sap,
    headline: pick(['sap', 'sap']),
  },
  'modularity-explicitness': {
    description: 'Modularity and explicitness (Ridgeway & Zemel 2018)',
    defaults: { ...MODULARITY_DEFAULTS },
    run: modularityExplicitness,
    headline: pick(['modularity', 'modularity'], ['explicitness', 'explicitnessTest']),
  },
  irs: {
    description: 'Interventional Robustness Score (Suter et al. 2019)',
    defaults: { ...IRS_DEFAULTS },
    run: irs,
    headline: pick(['irs', 'irs']),
  },
  unsupervised: {
    description: 'Gaussian total correlation, Wasserstein correlation and mutual information of the codes',
    defaults: { ...UNSUPERVISED_DEFAULTS },
    run: unsupervised,
    headline: pick(
      ['gaussian-total-correlation', 'gaussianTotalCorrelation'],
      ['mutual-info', 'mutualInfoScore'],
    ),
  },
  'mig-sup': {
    description: 'MIG-sup (Li et al. 2020): per code dim, the gap between its two most informative factors',
    defaults: { ...MIG_SUP_DEFAULTS },
    run: migSup,
    headline: pick(['mig-sup', 'migSup']),
  },
  jemmig: {
    description: 'JEMMIG (Do & Tran 2020): joint-entropy-minus-MI gap, 1 = each factor in exactly one dim',
    defaults: { ...JEMMIG_DEFAULTS },
    run: jemmig,
    headline: pick(['jemmig', 'jemmig']),
  },
  dcimig: {
    description: 'DCIMIG (Sepliarskaia et al. 2019): MI gaps credited to factors, over the factor entropies',
    defaults: { ...DCIMIG_DEFAULTS },
    run: dcimig,
    headline: pick(['dcimig', 'dcimig']),
  },
  'z-max-var': {
    description:
      'Z-max-var (Kim et al. 2019): the most variable dim when one factor varies, rescaled accuracy',
    defaults: { ...Z_MAX_VAR_DEFAULTS },
    pointsDrawn: (o) => o.numVarianceEstimate + o.batchSize * (o.numTrain + o.numEval),
    run: zMaxVar,
    headline: pick(['z-max-var', 'zMaxVar']),
  },
  'dci-es': {
    description:
      'DCI-ES (Eastwood et al. 2023): explicitness from the loss-capacity curve of trees, and size',
    defaults: { ...DCI_ES_DEFAULTS },
    run: dciEs,
    headline: pick(['dci-es-explicitness', 'explicitness'], ['dci-es-size', 'size']),
  },
  infomec: {
    description: 'InfoMEC (Hsu et al. 2023): InfoM, InfoE, InfoC from normalised MI and logistic regression',
    defaults: { ...INFOMEC_DEFAULTS },
    run: infoMec,
    headline: pick(['info-m', 'infoM'], ['info-e', 'infoE'], ['info-c', 'infoC']),
  },
  fairness: {
    description:
      'Unfairness (Locatello et al. 2019b): total variation of boosted-tree predictions under interventions',
    defaults: { ...FAIRNESS_DEFAULTS },
    optIn: true,
    run: fairness,
    headline: pick(['unfairness', 'meanFairness']),
  },
  'downstream-logistic': {
    description: 'Downstream accuracy at 10…10,000 points, logistic regression (cross-validated C)',
    defaults: { maxTrain: DOWNSTREAM_DEFAULTS.maxTrain, numTest: DOWNSTREAM_DEFAULTS.numTest },
    optIn: true,
    run: (source, rng, options) => downstream(source, rng, { ...options, predictor: 0 }),
    headline: pick(
      ['downstream-logistic', 'testAccuracy'],
      ['downstream-logistic-efficiency', 'sampleEfficiency'],
    ),
  },
  'downstream-gbt': {
    description: 'Downstream accuracy at 10…10,000 points, gradient-boosted trees',
    defaults: { maxTrain: DOWNSTREAM_DEFAULTS.maxTrain, numTest: DOWNSTREAM_DEFAULTS.numTest },
    optIn: true,
    run: (source, rng, options) => downstream(source, rng, { ...options, predictor: 1 }),
    headline: pick(['downstream-gbt', 'testAccuracy'], ['downstream-gbt-efficiency', 'sampleEfficiency']),
  },
};

/** The metrics run when none are named: every one but the opt-in ones. */
export const DEFAULT_METRICS: string[] = Object.keys(METRICS).filter((name) => !METRICS[name].optIn);

/**
 * Metric names from a comma-separated list (the default set when absent, every metric for `all`), with a
 * clear error for unknown ones; `label` names where the list came from (a flag, or a spec file's field).
 */
export function parseMetricNames(
  list: string | undefined,
  from: Record<string, unknown> = METRICS,
  label = '--metrics',
): string[] {
  if (list == null) return from === METRICS ? DEFAULT_METRICS : Object.keys(from);
  if (list.trim() === 'all') return Object.keys(from);
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  for (const name of names) {
    if (!(name in from)) {
      throw new InputError(
        `${label}: unknown metric "${name}", expected some of ${Object.keys(from).join(', ')} (or all)`,
      );
    }
  }
  if (names.length === 0) throw new InputError(`${label}: expected at least one metric name`);
  return names;
}

/** `name.option=value` settings → per-metric option overrides, checked against each metric's defaults. */
export function parseMetricSettings(
  settings: string[],
  names: string[],
  label = '--set',
): Record<string, Record<string, number>> {
  const out: Record<string, Record<string, number>> = {};
  for (const setting of settings) {
    const match = /^([a-z-]+)\.([A-Za-z]+)=(.+)$/.exec(setting);
    if (match == null)
      throw new InputError(`${label} ${setting}: expected metric.option=number, e.g. mig.numTrain=2000`);
    const [, metric, option, text] = match;
    const entry = METRICS[metric];
    if (entry == null || !names.includes(metric)) {
      throw new InputError(
        `${label} ${setting}: "${metric}" is not one of the selected metrics (${names.join(', ')})`,
      );
    }
    if (!(option in entry.defaults)) {
      throw new InputError(
        `${label} ${setting}: ${metric} has no option "${option}", expected one of ${Object.keys(entry.defaults).join(', ')}`,
      );
    }
    const value = Number(text);
    const integral = Number.isInteger(entry.defaults[option]);
    const flag = entry.defaults[option] === 0; // a 0/1 switch such as sap.continuousFactors
    const valid = flag ? value === 0 || value === 1 : value > 0 && (!integral || Number.isInteger(value));
    if (!Number.isFinite(value) || !valid) {
      const expected = flag ? '0 or 1' : `a positive ${integral ? 'integer' : 'number'}`;
      throw new InputError(`${label} ${setting}: expected ${expected}`);
    }
    out[metric] ??= {};
    out[metric][option] = value;
  }
  return out;
}

/** A metric's own random stream: the same seed scores a metric identically whatever else is selected. */
export function metricRng(seed: number, name: string): Rng {
  let h = 0x811c9dc5;
  for (const ch of name) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return new Rng((seed ^ h) >>> 0);
}

/** About how many points the selected metrics draw from a source, with their options. */
export function pointsDrawn(names: string[], overrides: Record<string, Record<string, number>> = {}): number {
  return names.reduce((total, name) => {
    const entry = METRICS[name];
    const o = { ...entry.defaults, ...overrides[name] };
    return total + (entry.pointsDrawn?.(o) ?? (o.numTrain ?? 0) + (o.numTest ?? 0) + (o.numEval ?? 0));
  }, 0);
}

export interface MetricRun {
  result: object;
  options: Record<string, number>;
  seconds: number;
}

export function runMetrics(
  source: CodeSource,
  names: string[],
  seed: number,
  overrides: Record<string, Record<string, number>> = {},
  onMetric: (name: string, run: MetricRun) => void = () => {},
  /** when given, a metric that cannot apply to the source (an InputError) is left out and reported here */
  onInapplicable?: (name: string, reason: string) => void,
): Record<string, MetricRun> {
  const out: Record<string, MetricRun> = {};
  for (const name of names) {
    const entry = METRICS[name];
    const options = { ...entry.defaults, ...overrides[name] };
    const started = performance.now();
    let result: object;
    try {
      result = entry.run(source, metricRng(seed, name), options);
    } catch (err) {
      if (!(err instanceof InputError) || onInapplicable == null) throw err;
      onInapplicable(name, err.message);
      continue;
    }
    out[name] = { result, options, seconds: (performance.now() - started) / 1000 };
    onMetric(name, out[name]);
  }
  return out;
}

/** One number per metric (the ones tables and sweeps show). */
export function headlines(runs: Record<string, MetricRun>): Record<string, number> {
  return Object.assign({}, ...Object.entries(runs).map(([name, run]) => METRICS[name].headline(run.result)));
}
