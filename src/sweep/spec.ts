import { createHash } from 'node:crypto';
import { z } from 'zod';
import { datasetOfConfig } from '../data/registry.ts';
import { InputError } from '../io/input-error.ts';
import { parseMetricNames, parseMetricSettings } from '../metrics/suite.ts';
import { MODELS } from '../models/registry.ts';
import { resolveTrainConfig, type TrainConfig } from '../run/config.ts';
import { presetConfig } from '../train/presets.ts';
import type { CurveSpec } from './study-curve.ts';

/**
 * A sweep: every model × each of its hyperparameter grids × dataset × seed, trained with shared settings
 * and scored with the same metrics. Example:
 *   { "models": { "beta-vae": { "beta": [1, 4] }, "factor-vae": { "gamma": [10, 30] } },
 *     "datasets": ["dsprites"], "seeds": [0, 1], "train": { "steps": 200, "batchSize": 32 },
 *     "modelTrain": { "factor-vae": { "learningRate": 1e-4 } },
 *     "metrics": { "names": ["mig", "sap"], "settings": ["mig.numTrain=2000"], "codes": ["mean"] } }
 */
export const sweepSpecSchema = z
  .object({
    models: z.record(z.string(), z.record(z.string(), z.array(z.unknown()).min(1))),
    datasets: z.array(z.string()).min(1).default(['dsprites']),
    seeds: z.array(z.number().int().min(0)).min(1).default([0]),
    /** shared train config keys (steps, batchSize, ...); a preset, if named, is applied first */
    train: z.record(z.string(), z.unknown()).default({}),
    /** per model, train keys that override `train` for that model's jobs (e.g. its own learning rate) */
    modelTrain: z.record(z.string(), z.record(z.string(), z.unknown())).default({}),
    preset: z.enum(['dlib', 'paper']).optional(),
    metrics: z
      .object({
        names: z.array(z.string()).optional(),
        settings: z.array(z.string()).default([]),
        codes: z
          .array(z.enum(['mean', 'sampled']))
          .min(1)
          .default(['mean']),
      })
      .strict()
      .default({ settings: [], codes: ['mean'] }),
  })
  .strict();
export type SweepSpec = z.infer<typeof sweepSpecSchema>;

export interface SweepJob {
  /** hash of the resolved config and metric settings: the same job always has the same id */
  id: string;
  config: TrainConfig;
  /** the swept hyperparameters of this job, for tables */
  hyperparameters: Record<string, unknown>;
  metrics: { names: string[]; settings: string[]; codes: ('mean' | 'sampled')[] };
  /** light scores at intermediate steps (studies, study-curve.ts); not part of the id */
  curve?: CurveSpec;
}

export function parseSweepSpec(raw: unknown, source: string): SweepSpec {
  const parsed = sweepSpecSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InputError(`${source}: ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  }
  if (Object.keys(parsed.data.models).length === 0) {
    throw new InputError(
      `${source}: models: expected at least one model, e.g. {"beta-vae": {"beta": [1, 4]}}`,
    );
  }
  for (const model of Object.keys(parsed.data.models)) {
    if (!(model in MODELS)) {
      throw new InputError(
        `${source}: models.${model}: unknown model, expected one of ${Object.keys(MODELS).join(', ')}`,
      );
    }
  }
  for (const model of Object.keys(parsed.data.modelTrain)) {
    if (!(model in parsed.data.models)) {
      throw new InputError(
        `${source}: modelTrain.${model}: not a model of this sweep, expected one of ${Object.keys(parsed.data.models).join(', ')}`,
      );
    }
  }
  return parsed.data;
}

/** Every combination of the grid's values: {a: [1, 2], b: [3]} → [{a: 1, b: 3}, {a: 2, b: 3}]. */
export function gridPoints(grid: Record<string, unknown[]>): Record<string, unknown>[] {
  return Object.entries(grid).reduce<Record<string, unknown>[]>(
    (points, [key, values]) => points.flatMap((p) => values.map((v) => ({ ...p, [key]: v }))),
    [{}],
  );
}

/** JSON with sorted keys: equal objects, equal text. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : 1));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/**
 * The sweep's jobs in a stable order, each config resolved (and so validated) and each dataset opened
 * once up front, so a bad field fails before anything runs, named by its place in the spec. Grid points
 * that give the same job (seeds [0, 0], values [4, 4]) are one job: `onFolded` hears how many were folded.
 */
export function expandSweep(
  spec: SweepSpec,
  source = 'sweep spec',
  onFolded?: (message: string) => void,
): SweepJob[] {
  const names = parseMetricNames(spec.metrics.names?.join(','), undefined, `${source}: metrics.names`);
  parseMetricSettings(spec.metrics.settings, names, `${source}: metrics.settings`);
  const metrics = { names, settings: spec.metrics.settings, codes: spec.metrics.codes };
  const jobs = new Map<string, SweepJob>();
  let folded = 0;
  const datasetsChecked = new Set<string>();
  for (const [model, grid] of Object.entries(spec.models)) {
    for (const hyperparameters of gridPoints(grid)) {
      for (const [datasetIndex, dataset] of spec.datasets.entries()) {
        for (const seed of spec.seeds) {
          const base = spec.preset ? presetConfig(spec.preset, model) : {};
          const raw = {
            ...base,
            ...spec.train,
            ...spec.modelTrain[model],
            model,
            dataset,
            seed,
            modelOptions: { ...(base.modelOptions as object), ...hyperparameters },
          };
          let config: TrainConfig;
          try {
            config = resolveTrainConfig(raw);
          } catch (err) {
            throw new InputError(
              `${source}: ${model} ${canonicalJson(hyperparameters)}: ${(err as Error).message}`,
            );
          }
          checkDataset(config, `${source}: datasets.${datasetIndex}`, datasetsChecked);
          // how a job runs (threads, backend) is not what it computes: left out of its id
          const what = { ...config, threads: undefined, backend: undefined };
          // each metric draws from its own stream (metricRng), so their order is not what a job computes
          const scored = { ...metrics, names: [...names].sort() };
          const id = createHash('sha256')
            .update(canonicalJson({ config: what, metrics: scored }))
            .digest('hex')
            .slice(0, 12);
          if (jobs.has(id)) folded++;
          else jobs.set(id, { id, config, hyperparameters, metrics });
        }
      }
    }
  }
  if (folded > 0) {
    onFolded?.(
      `${source}: ${folded} duplicate grid point${folded === 1 ? '' : 's'} (repeated seeds or values) folded: ${jobs.size} distinct jobs`,
    );
  }
  return [...jobs.values()];
}

/** Opens a job's dataset once per distinct dataset, variant and files: an unknown name or a missing file fails here. */
function checkDataset(config: TrainConfig, field: string, checked: Set<string>): void {
  const key = canonicalJson([config.dataset, config.variant, config.dataPath, config.factorsPath]);
  if (checked.has(key)) return;
  try {
    datasetOfConfig(config);
  } catch (err) {
    throw new InputError(`${field} ("${config.dataset}"): ${(err as Error).message}`);
  }
  checked.add(key);
}

/** disentanglement_lib's unsupervised study: its six models × their six values on dSprites (a subset by flags). */
export function dlibUnsupervisedSpec(models: string[], seeds: number): SweepSpec {
  const study = ['beta-vae', 'annealed-vae', 'factor-vae', 'dip-vae-i', 'dip-vae-ii', 'beta-tcvae'];
  const chosen = models.length > 0 ? models : study;
  for (const m of chosen) {
    if (!study.includes(m))
      throw new InputError(`--models ${m}: not in the study, expected some of ${study.join(', ')}`);
  }
  return sweepSpecSchema.parse({
    models: Object.fromEntries(chosen.map((m) => [m, { ...MODELS[m].dlibSweep }])),
    datasets: ['dsprites'],
    seeds: Array.from({ length: seeds }, (_, i) => i),
    preset: 'dlib',
  });
}
