import { InputError } from '../io/input-error.ts';

/**
 * How much compute a study spends: the training every job shares, where its light curve is scored, and
 * the metric sample sizes. `quick` is the demo's recipe (about 10 minutes a job on 2 shared cores),
 * `machine` the ≥ 10,000 steps the issue asks of a CPU study, `paper` disentanglement_lib's settings
 * (300k steps at Adam 1e-4: a GPU's work). `tiny` exists for tests.
 */
export interface StudyBudget {
  name: string;
  train: {
    steps: number;
    batchSize: number;
    learningRate: number;
    checkpointEvery: number;
    logEvery: number;
  };
  /** per model, training keys where the shared ones fail that model (measured, docs/fidelity.md) */
  modelTrain: Record<string, Partial<StudyBudget['train']>>;
  /** steps at which each job is scored lightly (the metric-vs-step plots) */
  curveSteps: number[];
  /** sample sizes of the final scores, `metric.option=value` */
  metricSettings: string[];
  /** sample sizes of the curve's scores */
  curveSettings: string[];
  seeds: number;
  /** the FHVAE's training steps at this budget */
  fhvaeSteps: number;
  /** what a reader should know about the sample sizes */
  note: string;
}

/**
 * The shortest training found to disentangle dSprites on 2 cores (docs/fidelity.md, "The demo's
 * recipe"): `untangle demo` trains a β-TCVAE with it, the `quick` budget every study job.
 */
export const QUICK_RECIPE = { steps: 1500, batchSize: 64, learningRate: 2e-3 } as const;

/**
 * Where the recipe's Adam 2e-3 fails a model (docs/fidelity.md, "Learning rates at the quick budget"):
 * every model's KL falls to ~0 in its first steps while the decoder learns the mean image; at 2e-3
 * CascadeVAE's code (under β_high = 10) never revives, and AnnealedVAE (γ = 1000) learns nothing at all.
 * At 5e-4 CascadeVAE revived by step 250 on seeds 0–2 (at 1e-3 seed 2 had not by 300). JointVAE
 * (γ = 150) learned nothing on two of three seeds at 2e-3; 5e-4 is also Dupont's own setting.
 */
const QUICK_MODEL_TRAIN = {
  'cascade-vae': { learningRate: 5e-4 },
  'annealed-vae': { learningRate: 5e-4 },
  'joint-vae': { learningRate: 5e-4 },
};

const SMALL_FACTOR_VAE = (train: number, evaluate: number, variance: number) => [
  `factor-vae-score.numTrain=${train}`,
  `factor-vae-score.numEval=${evaluate}`,
  `factor-vae-score.numVarianceEstimate=${variance}`,
];

export const STUDY_BUDGETS: Record<string, StudyBudget> = {
  tiny: {
    name: 'tiny',
    modelTrain: {},
    train: { steps: 4, batchSize: 8, learningRate: 1e-3, checkpointEvery: 2, logEvery: 1 },
    curveSteps: [2],
    metricSettings: ['mig.numTrain=200', ...SMALL_FACTOR_VAE(10, 10, 200), 'factor-vae-score.batchSize=8'],
    curveSettings: ['mig.numTrain=100', ...SMALL_FACTOR_VAE(10, 10, 200), 'factor-vae-score.batchSize=8'],
    seeds: 2,
    fhvaeSteps: 2,
    note: 'a test budget: nothing is learned',
  },
  quick: {
    name: 'quick',
    train: { ...QUICK_RECIPE, checkpointEvery: 250, logEvery: 10 },
    modelTrain: QUICK_MODEL_TRAIN,
    curveSteps: [250, 500, 1000],
    metricSettings: ['mig.numTrain=10000', ...SMALL_FACTOR_VAE(500, 300, 5000)],
    curveSettings: ['mig.numTrain=2000', ...SMALL_FACTOR_VAE(100, 100, 2000)],
    seeds: 3,
    fhvaeSteps: 600,
    note: 'MIG on 10,000 points; FactorVAE score on small samples (500 train / 300 eval votes, variance from 5,000 points); curve: MIG on 2,000 points, FactorVAE score on 100 / 100 votes',
  },
  machine: {
    name: 'machine',
    modelTrain: {},
    train: { steps: 10_000, batchSize: 64, learningRate: 5e-4, checkpointEvery: 500, logEvery: 20 },
    curveSteps: [500, 1000, 2000, 4000, 7000],
    metricSettings: ['mig.numTrain=10000', ...SMALL_FACTOR_VAE(2000, 1000, 10000)],
    curveSettings: ['mig.numTrain=5000', ...SMALL_FACTOR_VAE(200, 200, 5000)],
    seeds: 3,
    fhvaeSteps: 5000,
    note: 'MIG on 10,000 points; FactorVAE score on 2,000 train / 1,000 eval votes (disentanglement_lib: 10,000 / 5,000); curve on smaller samples',
  },
  paper: {
    name: 'paper',
    modelTrain: {},
    train: { steps: 300_000, batchSize: 64, learningRate: 1e-4, checkpointEvery: 5000, logEvery: 100 },
    curveSteps: [5000, 10_000, 25_000, 50_000, 100_000, 200_000],
    metricSettings: [],
    curveSettings: ['mig.numTrain=10000', ...SMALL_FACTOR_VAE(1000, 500, 10000)],
    seeds: 3,
    fhvaeSteps: 50_000,
    note: "disentanglement_lib's settings and sample sizes",
  },
};

export function studyBudget(name: string): StudyBudget {
  const budget = STUDY_BUDGETS[name];
  if (!budget)
    throw new InputError(
      `--budget ${name}: unknown, expected one of ${Object.keys(STUDY_BUDGETS).join(', ')}`,
    );
  return budget;
}
