import { createHash } from 'node:crypto';
import { z } from 'zod';
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
 *     "metrics": { "names": ["mig", "sap"], "settings": ["mig.numTrain=2000"], "codes": ["mean"] } }
 */
export const sweepSpecSchema = z
  .object({
    models: z.record(z.string(), z.record(z.string(), z.array(z.unknown()).min(1))),
    datasets: z.array(z.string()).min(1).default(['dsprites']),
    seeds: z.array(z.number().int().min(0)).min(1).default([0]),
    /** shared train config keys (steps, batchSize, ...); a preset, if named, is applied first */
    train: z.record(z.string(), z.unknown()).default({}),
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
  for (const model of Object.keys(parsed.data.models)) {
    if (!(model in MODELS)) {
      throw new InputError(
        `${source}: models.${model}: unknown model, expected one of ${Object.keys(MODELS).join(', ')}`,
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

/** The sweep's jobs in a stable order, each config resolved (and so validated) up front. */
export function expandSweep(spec: SweepSpec, source = 'sweep spec'): SweepJob[] {
  const names = parseMetricNames(spec.metrics.names?.join(','));
  parseMetricSettings(spec.metrics.settings, names);
  const metrics = { names, settings: spec.metrics.settings, codes: spec.metrics.codes };
  const jobs: SweepJob[] = [];
  for (const [model, grid] of Object.entries(spec.models)) {
    for (const hyperparameters of gridPoints(grid)) {
      for (const dataset of spec.datasets) {
        for (const seed of spec.seeds) {
          const base = spec.preset ? presetConfig(spec.preset, model) : {};
          const raw = {
            ...base,
            ...spec.train,
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
          // how a job runs (threads, backend) is not what it computes: left out of its id
          const what = { ...config, threads: undefined, backend: undefined };
          const id = createHash('sha256')
            .update(canonicalJson({ config: what, metrics }))
            .digest('hex')
            .slice(0, 12);
          jobs.push({ id, config, hyperparameters, metrics });
        }
      }
    }
  }
  return jobs;
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
