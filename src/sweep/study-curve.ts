import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { runTraining } from '../jobs/run-training.ts';
import { groundTruthSource, posteriorCacheFor } from '../metrics/code-source.ts';
import { modelEncoder } from '../metrics/evaluate-run.ts';
import { headlines, parseMetricSettings, runMetrics } from '../metrics/suite.ts';
import type { TrainConfig } from '../run/config.ts';
import { loadRun } from '../run/load-run.ts';
import { readLog } from '../run/log.ts';

/** Light scores at intermediate steps of a job: metric against training step. */
export interface CurveSpec {
  /** steps at which to score (those ≥ the job's steps are scored once, at its end) */
  steps: number[];
  metrics: string[];
  /** small sample sizes, `metric.option=value` */
  settings: string[];
}

/** One line of DIR/curves/ID.jsonl. */
export interface CurvePoint {
  step: number;
  /** training-batch reconstruction and KL, averaged over the log entries since the previous point */
  reconstruction: number;
  kl: number;
  [metric: string]: number;
}

export const curvePathOf = (sweepDir: string, id: string) => join(sweepDir, 'curves', `${id}.jsonl`);

/** The points recorded so far (a line cut short by a kill is skipped). */
export function readCurve(sweepDir: string, id: string): CurvePoint[] {
  const path = curvePathOf(sweepDir, id);
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8')
    .split('\n')
    .flatMap((line) => {
      try {
        return line.trim() ? [JSON.parse(line) as CurvePoint] : [];
      } catch {
        return [];
      }
    });
}

/** The step of the run's last checkpoint (0 if none). */
function checkpointStep(runDir: string): number {
  for (const dir of ['checkpoint', 'checkpoint.old']) {
    try {
      const step = JSON.parse(readFileSync(join(runDir, dir, 'state.json'), 'utf8')).step;
      if (Number.isInteger(step)) return step;
    } catch {}
  }
  return 0;
}

/**
 * Trains the run to each curve step in turn and scores it there, then to the job's last step (scored
 * too). Training in stages is training straight through: each stage resumes the last one's checkpoint,
 * and resume is bit-exact. A point is appended once; a killed job resumes and skips recorded points
 * (a step already passed when it was killed has no point: the past checkpoint is gone).
 */
export async function trainAlongCurve(
  sweepDir: string,
  id: string,
  config: TrainConfig,
  curve: CurveSpec,
  runDir: string,
  resume: boolean,
): Promise<void> {
  const recorded = new Set(readCurve(sweepDir, id).map((p) => p.step));
  const stops = [...new Set([...curve.steps.filter((s) => s < config.steps), config.steps])].sort(
    (a, b) => a - b,
  );
  let resuming = resume;
  for (const step of stops) {
    if (recorded.has(step) || (resuming && checkpointStep(runDir) > step)) continue;
    await runTraining({ ...config, steps: step }, runDir, resuming, { progress: true });
    resuming = true;
    const point = await scoreCurvePoint(runDir, config.seed, step, curve, recorded);
    const path = curvePathOf(sweepDir, id);
    await mkdir(dirname(path), { recursive: true });
    appendFileSync(path, `${JSON.stringify(point)}\n`);
    recorded.add(step);
    process.stderr.write(`${id}: step ${step}: ${JSON.stringify(point)}\n`);
  }
}

async function scoreCurvePoint(
  runDir: string,
  seed: number,
  step: number,
  curve: CurveSpec,
  recorded: Set<number>,
): Promise<CurvePoint> {
  const { model, data } = await loadRun(runDir);
  const encoder = modelEncoder(model, data.observationShape);
  const source = groundTruthSource(data, encoder, 'mean', { cache: posteriorCacheFor(data, encoder.dim) });
  const runs = runMetrics(source, curve.metrics, seed, parseMetricSettings(curve.settings, curve.metrics));
  const previous = Math.max(0, ...[...recorded].filter((s) => s < step));
  const since = readLog(runDir).filter((e) => e.step > previous && e.step <= step);
  const mean = (key: string) => since.reduce((a, e) => a + (e[key] as number), 0) / Math.max(1, since.length);
  return { step, reconstruction: mean('reconstruction'), kl: mean('kl'), ...headlines(runs) };
}
