import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { BackendName } from '../engine/backend.ts';
import { Rng } from '../engine/rng.ts';
import { writeFileAtomic } from '../io/atomic.ts';
import { InputError } from '../io/input-error.ts';
import { METRICS_FILE, modelEncoder } from '../metrics/evaluate-run.ts';
import { UDR_DEFAULTS, type UdrModel, type UdrOptions, udr } from '../metrics/udr.ts';
import { loadRun } from '../run/load-run.ts';
import { readResults } from './aggregate.ts';

import { type SweepUdr, UDR_FILE } from './udr-file.ts';

/**
 * UDR over a sweep's finished runs: every run encodes the same `numPoints` observations (posterior means,
 * KL per dim on them), each run is scored against the other seeds of its hyperparameters. Writes
 * SWEEP/udr.json and adds `udr` to each run's metrics.json headline (what tables and the dashboard show).
 */
export async function sweepUdr(
  sweepDir: string,
  options: Partial<UdrOptions> = {},
  seed = 0,
  backend?: BackendName,
  onRun: (id: string) => void = () => {},
): Promise<SweepUdr> {
  const o = { ...UDR_DEFAULTS, ...options };
  const { rows } = readResults(sweepDir);
  if (rows.length < 2)
    throw new InputError(`${sweepDir}: ${rows.length} finished runs, UDR needs at least 2`);
  const groups = rows.map((r) => {
    const { seed: _, ...rest } = r.hyperparameters as Record<string, unknown>;
    return JSON.stringify([r.model, r.dataset, rest]);
  });
  if (groups.every((g, i) => groups.indexOf(g) === i)) {
    throw new InputError(
      `${sweepDir}: no two runs share their hyperparameters; UDR compares seeds of one setting`,
    );
  }
  const models: UdrModel[] = [];
  let observations: Float32Array | null = null;
  let dataset = '';
  for (const row of rows) {
    const { config, model, data } = await loadRun(join(sweepDir, row.runDir), backend);
    if (observations == null) {
      dataset = config.dataset;
      const rng = new Rng(seed);
      observations = data.sampleObservationsFromFactors(data.sampleFactors(o.numPoints, rng), rng);
    } else if (config.dataset !== dataset) {
      throw new InputError(
        `${row.runDir}: dataset ${config.dataset}, expected ${dataset} like the other runs`,
      );
    }
    const encoder = modelEncoder(model, data.observationShape);
    const size = observations.length / o.numPoints;
    const codes = new Float64Array(o.numPoints * encoder.dim);
    const kl = new Float64Array(encoder.dim);
    for (let start = 0; start < o.numPoints; start += 64) {
      const m = Math.min(64, o.numPoints - start);
      const { mean, logVar } = encoder.encodePosterior(
        observations.subarray(start * size, (start + m) * size),
        m,
      );
      codes.set(mean, start * encoder.dim);
      for (let i = 0; i < m * encoder.dim; i++) {
        kl[i % encoder.dim] += (0.5 * (mean[i] ** 2 + Math.exp(logVar[i]) - logVar[i] - 1)) / o.numPoints;
      }
    }
    models.push({ codes, dim: encoder.dim, klPerDim: Array.from(kl) });
    onRun(row.id);
  }
  const result = udr(models, o.numPoints, groups, o);
  const report: SweepUdr = {
    options: o,
    seed,
    runs: rows.map((r, i) => ({ id: r.id, group: groups[i], udr: result.scores[i] })),
    pairwise: result.pairwise,
  };
  await writeFileAtomic(join(sweepDir, UDR_FILE), `${JSON.stringify(report, null, 2)}\n`);
  for (const [i, row] of rows.entries()) {
    const path = join(sweepDir, row.runDir, METRICS_FILE);
    if (!existsSync(path) || result.scores[i] == null) continue;
    const metrics = JSON.parse(readFileSync(path, 'utf8'));
    metrics.headline = { ...metrics.headline, udr: result.scores[i] };
    await writeFileAtomic(path, `${JSON.stringify(metrics, null, 2)}\n`);
  }
  return report;
}
