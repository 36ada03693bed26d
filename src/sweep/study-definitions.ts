import { InputError } from '../io/input-error.ts';
import type { StudyBudget } from './study-budgets.ts';

/**
 * A trend the seeds claim, checked on a study's table:
 * - `rises`/`falls`: Spearman's ρ between a model's hyperparameter and a metric over all its jobs;
 *   holds when a one-sided permutation test of ρ gives p < 0.05 (rank-test.ts), fails at ρ ≤ 0 (≥ 0 for
 *   falls), is weak between;
 * - `beats`: the best setting of one model against the best of another on a metric (seed means); holds
 *   when both have at least two seeds and the gap exceeds the larger of their seed spreads (standard
 *   deviation).
 */
export type TrendCheck =
  | {
      kind: 'rises' | 'falls';
      model: string;
      hyperparameter: string;
      metric: string;
      claim: string;
    }
  | { kind: 'beats'; metric: string; better: string; worse: string; claim: string };

export interface StudyDefinition {
  name: string;
  title: string;
  /** the seeds' claim, in their words and numbers, with its source */
  claim: string;
  dataset: string;
  /** per model, its hyperparameter grid (budget-dependent where a schedule scales with the steps) */
  grid(budget: StudyBudget): Record<string, Record<string, unknown[]>>;
  /** scored at the end (headline metrics of evaluateRun) */
  metrics: string[];
  /** scored along training (curve) */
  curveMetrics: string[];
  checks: TrendCheck[];
}

/** A schedule reached at `fraction` of the budget's steps (the papers' 100k of 300k: 1/3). */
const atFraction = (budget: StudyBudget, fraction: number) =>
  Math.max(1, Math.round(budget.train.steps * fraction));

export const STUDIES: Record<string, StudyDefinition> = {
  beta: {
    name: 'beta',
    title: 'β-VAE: β against disentanglement and reconstruction',
    claim:
      'Higgins et al. 2017: higher β gives more disentangled codes at a cost in reconstruction (dSprites; disentanglement_lib sweeps β ∈ {1, 2, 4, 6, 8, 16}).',
    dataset: 'dsprites',
    grid: () => ({ 'beta-vae': { beta: [1, 2, 4, 8, 16] } }),
    metrics: ['mig', 'factor-vae-score'],
    curveMetrics: ['mig', 'factor-vae-score'],
    checks: [
      {
        kind: 'rises',
        model: 'beta-vae',
        hyperparameter: 'beta',
        metric: 'mig',
        claim: 'MIG rises with β',
      },
      {
        kind: 'rises',
        model: 'beta-vae',
        hyperparameter: 'beta',
        metric: 'factor-vae-score',
        claim: 'the FactorVAE score rises with β',
      },
      {
        kind: 'rises',
        model: 'beta-vae',
        hyperparameter: 'beta',
        metric: 'reconstruction',
        claim: 'reconstruction gets worse (its loss rises) with β',
      },
    ],
  },
  'factor-vs-beta': {
    name: 'factor-vs-beta',
    title: 'FactorVAE (γ) beside β-VAE at the same budget',
    claim:
      'Kim & Mnih 2018: FactorVAE beats β-VAE on the FactorVAE metric (lecture table: ~0.82 vs ~0.70–0.74) and higher γ disentangles more, with less cost in reconstruction than a high β.',
    dataset: 'dsprites',
    grid: () => ({ 'factor-vae': { gamma: [10, 35, 100] }, 'beta-vae': { beta: [4, 8] } }),
    metrics: ['factor-vae-score', 'mig'],
    curveMetrics: ['mig', 'factor-vae-score'],
    checks: [
      {
        kind: 'beats',
        metric: 'factor-vae-score',
        better: 'factor-vae',
        worse: 'beta-vae',
        claim: 'FactorVAE scores higher than β-VAE on the FactorVAE metric',
      },
      { kind: 'beats', metric: 'mig', better: 'factor-vae', worse: 'beta-vae', claim: 'and on MIG' },
      {
        kind: 'rises',
        model: 'factor-vae',
        hyperparameter: 'gamma',
        metric: 'factor-vae-score',
        claim: 'the FactorVAE score rises with γ',
      },
    ],
  },
  discrete: {
    name: 'discrete',
    title: 'CascadeVAE against JointVAE: the discrete latent and shape',
    claim:
      "Jeong & Song 2019: CascadeVAE scores highest on the FactorVAE metric (90.5 vs JointVAE's 74.5) and its discrete latent recovers shape far better (unsupervised accuracy 78.8% vs 44.8%, chance 33.3%).",
    dataset: 'dsprites',
    grid: (budget) => ({
      // the schedules scale with the budget: the cascade ends at half the training, JointVAE's capacities at its end
      'cascade-vae': { relieveEvery: [atFraction(budget, 1 / 20)] },
      'joint-vae': { capacitySteps: [budget.train.steps] },
    }),
    metrics: ['factor-vae-score', 'mig'],
    curveMetrics: ['factor-vae-score'],
    checks: [
      {
        kind: 'beats',
        metric: 'factor-vae-score',
        better: 'cascade-vae',
        worse: 'joint-vae',
        claim: 'CascadeVAE scores higher than JointVAE on the FactorVAE metric',
      },
      {
        kind: 'beats',
        metric: 'discrete-accuracy',
        better: 'cascade-vae',
        worse: 'joint-vae',
        claim: "CascadeVAE's discrete latent recovers shape better than JointVAE's",
      },
    ],
  },
  tcvae: {
    name: 'tcvae',
    title: 'β-TCVAE: β against MIG',
    claim: 'Chen et al. 2018: the MIG of β-TCVAE rises with β (dSprites, Fig. 3/4; β ∈ {1, 2, 4, 6, 8, 10}).',
    dataset: 'dsprites',
    grid: () => ({ 'beta-tcvae': { beta: [1, 4, 6, 10] } }),
    metrics: ['mig', 'factor-vae-score'],
    curveMetrics: ['mig'],
    checks: [
      {
        kind: 'rises',
        model: 'beta-tcvae',
        hyperparameter: 'beta',
        metric: 'mig',
        claim: 'MIG rises with β',
      },
    ],
  },
  annealed: {
    name: 'annealed',
    title: 'AnnealedVAE: the capacity C_max',
    claim:
      'Burgess et al. 2018: raising the capacity C gradually keeps factors apart while reconstruction improves with a larger C_max; disentanglement_lib sweeps C_max ∈ {5, 10, 25, 50, 75, 100} (γ = 1000, C reached at 100k of 300k steps), where disentanglement falls as C_max grows.',
    dataset: 'dsprites',
    grid: (budget) => ({
      'annealed-vae': { capacityMax: [5, 25, 50, 100], capacitySteps: [atFraction(budget, 1 / 3)] },
    }),
    metrics: ['mig', 'factor-vae-score'],
    curveMetrics: ['mig'],
    checks: [
      {
        kind: 'falls',
        model: 'annealed-vae',
        hyperparameter: 'capacityMax',
        metric: 'reconstruction',
        claim: 'reconstruction improves (its loss falls) as C_max grows',
      },
      {
        kind: 'falls',
        model: 'annealed-vae',
        hyperparameter: 'capacityMax',
        metric: 'mig',
        claim: 'MIG falls as C_max grows',
      },
    ],
  },
  fhvae: {
    name: 'fhvae',
    title: "FHVAE: the discriminative weight α and μ2's speaker EER against i-vectors",
    claim:
      "Hsu, Zhang & Glass 2017 (seminar's table): μ2's speaker EER falls as α rises (5.06% at α = 0 → 2.38% at α = 10), μ2 beats i-vectors, and μ1 is far worse than μ2.",
    dataset: 'speech',
    grid: () => ({ fhvae: { alpha: [0, 1, 10] } }),
    metrics: ['rawEer', 'ldaEer'],
    curveMetrics: [],
    checks: [
      {
        kind: 'falls',
        model: 'fhvae',
        hyperparameter: 'alpha',
        metric: 'ldaEer',
        claim: "μ2's LDA EER falls as α rises",
      },
      {
        kind: 'beats',
        metric: 'ldaEer',
        better: 'fhvae',
        worse: 'i-vector',
        claim: 'μ2 beats i-vectors (lower EER)',
      },
      { kind: 'beats', metric: 'ldaEer', better: 'fhvae', worse: 'mu1', claim: 'μ1 is far worse than μ2' },
    ],
  },
};

export function studyDefinition(name: string): StudyDefinition {
  const study = STUDIES[name];
  if (!study)
    throw new InputError(`study ${name}: unknown, expected one of ${Object.keys(STUDIES).join(', ')}`);
  return study;
}
